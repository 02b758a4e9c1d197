CREATE TABLE `announcement_recipients` (
	`announcement_id` integer NOT NULL,
	`attendee_id` text NOT NULL,
	PRIMARY KEY(`announcement_id`, `attendee_id`),
	FOREIGN KEY (`announcement_id`) REFERENCES `announcements`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `announcement_recipients_attendee` ON `announcement_recipients` (`attendee_id`);--> statement-breakpoint
CREATE TABLE `diagnoses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`env_id` text NOT NULL,
	`attendee_id` text NOT NULL,
	`code` text NOT NULL,
	`raw` text NOT NULL,
	`source` text NOT NULL,
	`points_at` text,
	`at` text NOT NULL,
	`dismissed_at` text,
	FOREIGN KEY (`env_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `diagnoses_env` ON `diagnoses` (`env_id`);--> statement-breakpoint
CREATE TABLE `lab_visits` (
	`attendee_id` text NOT NULL,
	`lab_slug` text NOT NULL,
	`first_at` text NOT NULL,
	PRIMARY KEY(`attendee_id`, `lab_slug`),
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `announcements` ADD `kind` text DEFAULT 'announcement' NOT NULL;--> statement-breakpoint
ALTER TABLE `announcements` ADD `lab_slug` text;--> statement-breakpoint
ALTER TABLE `help_requests` ADD `diagnosis_code` text;