import "server-only";
import { currentDiagnoses } from "@/lib/db/diagnosis-queries";
import { rosterRaw } from "@/lib/db/room-queries";
import type { ClusterProgress } from "@/lib/labs/progress-line";
import type { EnvironmentSnapshot, UsageUnit } from "@/lib/providers/contract";
import { isExpectedStop, isFailed, isStackStatus, NO_ENVIRONMENT } from "@/lib/status";
import type { RosterRow } from "@/lib/stream/protocol";
import { isDiagnosisCode } from "@/lib/diagnosis/codes";

/** The most useful "what went wrong", in the platform's words: a failed stack, else the last unexpected task stop. */
export function lastErrorOf(status: string, reason: string | null, snapshot: EnvironmentSnapshot | null): string | null {
  if (isFailed(status)) return reason ?? status;
  const stops = (snapshot?.tasks ?? [])
    .filter((t) => t.lastStatus === "STOPPED" && t.stoppedReason && !isExpectedStop(t.stoppedReason))
    .sort((a, b) => (a.stoppedAt ?? "").localeCompare(b.stoppedAt ?? ""));
  const last = stops.at(-1);
  return last ? `${last.id}: ${last.stoppedReason}` : null;
}

/** What the roster reads from the watchers besides the store: each environment's last snapshot and progress line. */
export interface RosterSources {
  snapshotOf(envId: string): EnvironmentSnapshot | null;
  progressOf(envId: string): ClusterProgress | null;
  /** The portal's own pins (lib/image/pins.ts), to tell a cluster built from others. */
  portalPins: string | null;
}

/**
 * Every attendee's row (or only those in `only`: the queries then read just their rows),
 * from a handful of queries plus the watchers' last snapshots and progress lines.
 */
export function buildRoster(sources: RosterSources, unit: UsageUnit, only?: ReadonlySet<string>): RosterRow[] {
  const { people, envs, checks, help, visits, done, lastCheck, usage } = rosterRaw(only);
  const latestEnv = new Map<string, (typeof envs)[number]>();
  for (const env of envs) {
    const seen = latestEnv.get(env.attendeeId);
    // Prefer the live environment; else the newest deleted one.
    if (!seen || (seen.deletedAt && !env.deletedAt)) latestEnv.set(env.attendeeId, env);
  }
  const checkCount = new Map(checks.map((c) => [c.attendeeId, Number(c.n)]));
  const helpOf = new Map(help.map((h) => [h.attendeeId, h.status as "open" | "coming"]));
  // A failed environment keeps its cause until it is deleted; a deleted one shows none.
  const diagnosisOf = currentDiagnoses([...latestEnv.values()].filter((e) => !e.deletedAt).map((e) => e.id));
  const labs = labTimes(visits, done);
  const checkedAt = new Map(lastCheck.map((c) => [c.attendeeId, c.at]));
  return people.map((p) => {
    const env = latestEnv.get(p.id);
    const snapshot = env ? sources.snapshotOf(env.id) : null;
    const progress = env && !env.deletedAt ? sources.progressOf(env.id) : null;
    const use = env ? usage.get(env.id) : undefined;
    const diagnosis = env ? diagnosisOf.get(env.id) : undefined;
    return {
      attendeeId: p.id,
      name: p.name,
      email: p.email,
      currentLab: p.currentLab,
      checksPassed: checkCount.get(p.id) ?? 0,
      envId: env?.id ?? null,
      envStatus: env && isStackStatus(env.status) ? env.status : NO_ENVIRONMENT,
      envDeletedAt: env?.deletedAt ?? null,
      workersRunning: env && !env.deletedAt ? env.runningWorkers : 0,
      lastError: env ? lastErrorOf(env.status, env.statusReason, snapshot) : null,
      usage: (unit === "usd" ? use?.costUsd : use?.cpuSeconds) ?? 0,
      lastActivity: p.lastSeenAt,
      help: helpOf.get(p.id) ?? null,
      progress: progress && { tasks: progress.tasks, bytes: progress.bytes, workers: progress.workers },
      otherPins: progress?.pins && sources.portalPins && progress.pins !== sources.portalPins ? progress.pins : null,
      diagnosis: diagnosis && isDiagnosisCode(diagnosis.code) ? { code: diagnosis.code, at: diagnosis.at } : null,
      labs: labs.get(p.id) ?? {},
      lastProgressAt: lastProgress(p.createdAt, labs.get(p.id), checkedAt.get(p.id)),
    };
  });
}

type LabTimes = RosterRow["labs"];

/** Each attendee's start (first opening) and end (marked done or check passed) of each lab. */
function labTimes(visits: { attendeeId: string; labSlug: string; firstAt: string }[], done: { attendeeId: string; labSlug: string; doneAt: string }[]): Map<string, LabTimes> {
  const byAttendee = new Map<string, LabTimes>();
  const of = (id: string) => byAttendee.get(id) ?? byAttendee.set(id, {}).get(id)!;
  for (const v of visits) of(v.attendeeId)[v.labSlug] = { startedAt: v.firstAt, doneAt: null };
  for (const d of done) {
    const labs = of(d.attendeeId);
    labs[d.labSlug] = { startedAt: labs[d.labSlug]?.startedAt ?? null, doneAt: d.doneAt };
  }
  return byAttendee;
}

/** The newest sign the attendee moved on: a lab opened or finished, a check passed; else when they joined. */
function lastProgress(joinedAt: string, labs: LabTimes | undefined, checkedAt: string | undefined): string {
  const times = [joinedAt, checkedAt, ...Object.values(labs ?? {}).flatMap((l) => [l.startedAt, l.doneAt])];
  return times.filter((t): t is string => Boolean(t)).reduce((a, b) => (a > b ? a : b));
}
