ALTER TABLE `attendees` ADD `return_code_hash` text;--> statement-breakpoint
ALTER TABLE `attendees` ADD `session_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `attendees` ADD `removed_at` text;