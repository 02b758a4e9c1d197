CREATE TABLE `announcements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `attendees` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`current_lab` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attendees_email_unique` ON `attendees` (`email`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_role` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`result` text NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `environment_usage` (
	`env_id` text PRIMARY KEY NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`cpu_seconds` real DEFAULT 0 NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`env_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `environments` (
	`id` text PRIMARY KEY NOT NULL,
	`attendee_id` text NOT NULL,
	`provider` text NOT NULL,
	`stack_name` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`desired_workers` integer NOT NULL,
	`running_workers` integer DEFAULT 0 NOT NULL,
	`stream_cursor` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `environments_stack_name_unique` ON `environments` (`stack_name`);--> statement-breakpoint
CREATE UNIQUE INDEX `environments_one_live_per_attendee` ON `environments` (`attendee_id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `event_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`starts_at` text,
	`ends_at` text,
	`ended_at` text,
	CONSTRAINT "event_settings_one_row" CHECK("event_settings"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `help_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`attendee_id` text NOT NULL,
	`message` text NOT NULL,
	`bundle` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `help_requests_status` ON `help_requests` (`status`);--> statement-breakpoint
CREATE TABLE `lab_progress` (
	`attendee_id` text NOT NULL,
	`lab_slug` text NOT NULL,
	`done_at` text NOT NULL,
	PRIMARY KEY(`attendee_id`, `lab_slug`),
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `room_cost_samples` (
	`at` text PRIMARY KEY NOT NULL,
	`total` real NOT NULL
);
--> statement-breakpoint
CREATE TABLE `step_checks` (
	`attendee_id` text NOT NULL,
	`lab_slug` text NOT NULL,
	`passed_at` text NOT NULL,
	PRIMARY KEY(`attendee_id`, `lab_slug`),
	FOREIGN KEY (`attendee_id`) REFERENCES `attendees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `stream_events` (
	`env_id` text NOT NULL,
	`seq` integer NOT NULL,
	`event` text NOT NULL,
	`data` text NOT NULL,
	`at` text NOT NULL,
	PRIMARY KEY(`env_id`, `seq`)
);
