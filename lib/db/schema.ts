import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { diagnosisCodes } from "../diagnosis/codes";

// The store's one source of truth: migrations are generated from this file
// (`npm run db:generate`), and lib/db/schema.test.ts fails when they are behind.

export const attendees = sqliteTable("attendees", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
  lastSeenAt: text("last_seen_at").notNull(),
  currentLab: text("current_lab"),
  /** scrypt hash (salt:hash, hex) of the attendee's return code: a later sign-in needs the code itself. */
  returnCodeHash: text("return_code_hash"),
  /** Raised to end every session the attendee holds (sign-out by the facilitator, a new return code). */
  sessionVersion: integer("session_version").notNull().default(1),
  /** Set when the facilitator removed the attendee: no sign-in until they issue a new return code. */
  removedAt: text("removed_at"),
});

export const environments = sqliteTable(
  "environments",
  {
    id: text("id").primaryKey(),
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
    provider: text("provider").notNull(),
    stackName: text("stack_name").notNull().unique(),
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    desiredWorkers: integer("desired_workers").notNull(),
    runningWorkers: integer("running_workers").notNull().default(0),
    /** The provider's event cursor, saved with the events it produced so a restart never repeats a line. */
    streamCursor: text("stream_cursor"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deletedAt: text("deleted_at"),
  },
  (t) => [
    // At most one live environment per attendee: the store itself makes deploy idempotent.
    uniqueIndex("environments_one_live_per_attendee")
      .on(t.attendeeId)
      .where(sql`deleted_at IS NULL`),
  ],
);

export const labProgress = sqliteTable(
  "lab_progress",
  {
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
    labSlug: text("lab_slug").notNull(),
    doneAt: text("done_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.attendeeId, t.labSlug] })],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    actorId: text("actor_id").notNull(),
    actorRole: text("actor_role").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    result: text("result").notNull(),
    detail: text("detail"),
  },
  (t) => [index("audit_log_at").on(t.at)],
);

/** Every event a stream sent, so a reconnect (even after a restart) resumes without loss. */
export const streamEvents = sqliteTable(
  "stream_events",
  {
    envId: text("env_id").notNull(),
    seq: integer("seq").notNull(),
    event: text("event").notNull(),
    data: text("data").notNull(),
    at: text("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.seq] })],
);

export type Attendee = typeof attendees.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;

export const stepChecks = sqliteTable(
  "step_checks",
  {
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
    labSlug: text("lab_slug").notNull(),
    passedAt: text("passed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.attendeeId, t.labSlug] })],
);

/** The event's one row (id 1): its name and times. */
export const eventSettings = sqliteTable(
  "event_settings",
  {
    id: integer("id").primaryKey(),
    name: text("name").notNull(),
    startsAt: text("starts_at"),
    endsAt: text("ends_at"),
    endedAt: text("ended_at"),
  },
  (t) => [check("event_settings_one_row", sql`${t.id} = 1`)],
);

export const helpRequests = sqliteTable(
  "help_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
    message: text("message").notNull(),
    bundle: text("bundle").notNull(),
    /** The cause the attendee's environment showed when they asked (lib/diagnosis), so the queue shows causes. */
    diagnosisCode: text("diagnosis_code", { enum: diagnosisCodes }),
    status: text("status", { enum: ["open", "coming", "resolved"] }).notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("help_requests_status").on(t.status)],
);

export const announcements = sqliteTable("announcements", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  message: text("message").notNull(),
  createdAt: text("created_at").notNull(),
  /** A hint goes only to its recipients (announcement_recipients); an announcement to everyone. */
  kind: text("kind", { enum: ["announcement", "hint"] }).notNull().default("announcement"),
  /** The lab a hint was sent for, when it went to everyone on that lab. */
  labSlug: text("lab_slug"),
});

/** Who a hint was sent to. */
export const announcementRecipients = sqliteTable(
  "announcement_recipients",
  {
    announcementId: integer("announcement_id")
      .notNull()
      .references(() => announcements.id),
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
  },
  (t) => [primaryKey({ columns: [t.announcementId, t.attendeeId] }), index("announcement_recipients_attendee").on(t.attendeeId)],
);

/** When each attendee first opened each lab: the start of their time on it (the facilitator's pace card). */
export const labVisits = sqliteTable(
  "lab_visits",
  {
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
    labSlug: text("lab_slug").notNull(),
    firstAt: text("first_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.attendeeId, t.labSlug] })],
);

/**
 * Each cause an environment's failure signals showed (lib/diagnosis), in order: the newest
 * not dismissed is what its page and the Room problems card show; all of them make the
 * final report's count of causes met.
 */
export const diagnoses = sqliteTable(
  "diagnoses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    envId: text("env_id")
      .notNull()
      .references(() => environments.id),
    attendeeId: text("attendee_id")
      .notNull()
      .references(() => attendees.id),
    code: text("code", { enum: diagnosisCodes }).notNull(),
    /** The message it was read from, in the platform's words (cut at 8 KiB). */
    raw: text("raw").notNull(),
    /** Where that message came from: a task's stop, a stack event, a log line. */
    source: text("source").notNull(),
    /** For a rollback: the first failed resource's event, which says why. */
    pointsAt: text("points_at"),
    at: text("at").notNull(),
    dismissedAt: text("dismissed_at"),
  },
  (t) => [index("diagnoses_env").on(t.envId)],
);

export type DiagnosisRow = typeof diagnoses.$inferSelect;

/** What an environment has cost so far, updated as the poller sees it run. */
export const environmentUsage = sqliteTable("environment_usage", {
  envId: text("env_id")
    .primaryKey()
    .references(() => environments.id),
  costUsd: real("cost_usd").notNull().default(0),
  cpuSeconds: real("cpu_seconds").notNull().default(0),
  updatedAt: text("updated_at").notNull(),
});

export const roomCostSamples = sqliteTable("room_cost_samples", {
  at: text("at").primaryKey(),
  total: real("total").notNull(),
});

export type EventSettings = typeof eventSettings.$inferSelect;

/**
 * The facilitator's dress rehearsals. Their environment lives here, not among the
 * attendees' (no attendee row, no environments row): rosters, limits and reports never
 * see it. At most one runs at a time, across every process sharing the store (the portal
 * and `make aws-rehearsal`).
 */
export const rehearsals = sqliteTable(
  "rehearsals",
  {
    id: text("id").primaryKey(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    /** running, passed or failed. */
    status: text("status", { enum: ["running", "passed", "failed"] }).notNull(),
    /** Who started it: the facilitator, or "terminal" for `make aws-rehearsal`. */
    startedBy: text("started_by").notNull(),
    provider: text("provider").notNull(),
    /** The rehearsal environment's stack, so a crashed run's leftovers can be named. */
    stackName: text("stack_name").notNull(),
    /** The phase that failed, and why. */
    failedPhase: text("failed_phase"),
    reason: text("reason"),
    reportPath: text("report_path"),
  },
  (t) => [
    uniqueIndex("rehearsals_one_running")
      .on(t.status)
      .where(sql`status = 'running'`),
  ],
);

export type RehearsalRow = typeof rehearsals.$inferSelect;
