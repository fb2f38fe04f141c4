ALTER TABLE `sessions` ADD `device_label` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `link_failure` text;