CREATE TABLE `known_chats` (
	`session_id` text NOT NULL,
	`jid` text NOT NULL,
	`first_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `jid`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `lid_mappings` (
	`session_id` text NOT NULL,
	`lid` text NOT NULL,
	`phone` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `lid`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `lid_mappings_phone_idx` ON `lid_mappings` (`session_id`,`phone`);--> statement-breakpoint
CREATE TABLE `recipient_checks` (
	`session_id` text NOT NULL,
	`jid` text NOT NULL,
	`on_whatsapp` integer NOT NULL,
	`checked_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `jid`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `send_governor` (
	`session_id` text PRIMARY KEY NOT NULL,
	`settings` text,
	`linked_at` integer,
	`day` text DEFAULT '' NOT NULL,
	`new_chats` integer DEFAULT 0 NOT NULL,
	`next_new_chat_at` integer,
	`refusals_in_row` integer DEFAULT 0 NOT NULL,
	`paused_at` integer,
	`paused_reason` text,
	`whatsapp_cap` text,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
