ALTER TABLE `webhook_deliveries` ADD `last_status_code` integer;--> statement-breakpoint
CREATE INDEX `messages_created_id_idx` ON `messages` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `messages_session_created_id_idx` ON `messages` (`session_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `otps_created_id_idx` ON `otps` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `otps_session_created_id_idx` ON `otps` (`session_id`,`created_at`,`id`);