CREATE TABLE `otps` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`destination` text NOT NULL,
	`code_hash` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 5 NOT NULL,
	`expires_at` integer NOT NULL,
	`message_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`approved_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "otps_id_no_colon" CHECK(instr("otps"."id", ':') = 0)
);
--> statement-breakpoint
CREATE INDEX `otps_session_destination_created_idx` ON `otps` (`session_id`,`destination`,`created_at`);