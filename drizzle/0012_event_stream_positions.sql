ALTER TABLE `webhook_events` ADD `stream_pos` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_stream_pos_idx` ON `webhook_events` (`stream_pos`);