import "server-only";
import { desc } from "drizzle-orm";
import { getDb } from "./index";
import { auditLog } from "./schema";

// The audit log's rows. What an action is called, and who may be named, is lib/audit.ts's.

const now = () => new Date().toISOString();

export interface AuditRow {
  actorId: string;
  actorRole: "attendee" | "facilitator" | "system" | "anonymous";
  action: string;
  target?: string;
  result: "ok" | "error";
  detail?: string;
}

/** Written through lib/audit.ts, which holds the vocabulary of actions. */
export function insertAudit(entry: AuditRow) {
  getDb()
    .insert(auditLog)
    .values({ ...entry, at: now(), target: entry.target ?? null, detail: entry.detail ?? null })
    .run();
}

export function listAudit(limit = 500) {
  return getDb().select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all();
}
