CREATE INDEX `webhook_deliveries_event_idx` ON `webhook_deliveries` (`event_id`,`status`);--> statement-breakpoint
CREATE INDEX `webhook_events_created_idx` ON `webhook_events` (`created_at`);