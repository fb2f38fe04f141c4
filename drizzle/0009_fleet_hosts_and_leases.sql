CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`status` text DEFAULT 'up' NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `session_leases` (
	`session_id` text PRIMARY KEY NOT NULL,
	`owner` text,
	`generation` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `session_leases_owner_idx` ON `session_leases` (`owner`);