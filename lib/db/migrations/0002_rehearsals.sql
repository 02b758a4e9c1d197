CREATE TABLE `rehearsals` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`status` text NOT NULL,
	`started_by` text NOT NULL,
	`provider` text NOT NULL,
	`stack_name` text NOT NULL,
	`failed_phase` text,
	`reason` text,
	`report_path` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rehearsals_one_running` ON `rehearsals` (`status`) WHERE status = 'running';