import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from "drizzle-orm/sqlite-core";

export const attendees = sqliteTable("attendees", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
  lastSeenAt: text("last_seen_at").notNull(),
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
export type AuditEntry = typeof auditLog.$inferSelect;
