import "server-only";
import { listAttendees } from "@/lib/db/attendee-queries";
import { listEnvironments } from "@/lib/db/environment-queries";
import { usageByEnvironment } from "@/lib/db/room-queries";
import type { UsageUnit } from "@/lib/providers/contract";

export interface FinalReportRow {
  envId: string;
  attendee: string;
  stackName: string;
  status: string;
  deletedAt: string | null;
  usage: number;
}

/** After the event's end: every environment there was, when it was deleted, and what it used. */
export function finalReport(unit: UsageUnit): { rows: FinalReportRow[]; total: number; stillLive: number } {
  const names = new Map(listAttendees().map((a) => [a.id, a.name]));
  const usage = usageByEnvironment();
  const rows = listEnvironments().map((e) => {
    const use = usage.get(e.id);
    return {
      envId: e.id,
      attendee: names.get(e.attendeeId) ?? e.attendeeId,
      stackName: e.stackName,
      status: e.status,
      deletedAt: e.deletedAt,
      usage: (unit === "usd" ? use?.costUsd : use?.cpuSeconds) ?? 0,
    };
  });
  return { rows, total: rows.reduce((n, r) => n + r.usage, 0), stillLive: rows.filter((r) => !r.deletedAt).length };
}
