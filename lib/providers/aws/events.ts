import { createHash } from "node:crypto";
import type { StackEvent } from "@aws-sdk/client-cloudformation";
import { FilterLogEventsCommand, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { z } from "zod";
import { capLogLine, type ProviderEvent, type TaskRole } from "@/lib/providers/contract";
import type { RateLimiter } from "./limiter";

/**
 * Where an environment's event stream stopped.
 *
 * Stack events: the ids already handed out from the newest page (CloudFormation lists
 * newest first), and `stackMark`, the settled stack state whose events were all handed
 * out, so a settled stack costs no DescribeStackEvents call at all.
 *
 * Logs: the newest timestamp handed out and a digest of every line handed out within
 * `overlapMs` before it. Lines are re-read over that overlap on every fetch, because
 * CloudWatch Logs (and a room of tasks writing at once) can make a line visible after
 * later ones; the digests keep each line to exactly once.
 */
const cursorSchema = z.object({
  stackEventIds: z.array(z.string()).default([]),
  stackEventsAt: z.number().default(0),
  stackMark: z.string().default(""),
  logsAt: z.number().default(0),
  /** Cursors written before logSeen existed: raw keys of the lines at exactly logsAt. */
  logKeysAt: z.array(z.string()).default([]),
  /** "<time base36>.<digest>" of lines handed out at or after logsAt - overlap. */
  logSeen: z.array(z.string()).default([]),
});
export type EventCursor = z.infer<typeof cursorSchema>;

export function decodeCursor(cursor: string | null): EventCursor {
  if (!cursor) return cursorSchema.parse({});
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    const legacy = parsed.logKeysAt.map((key) => seenEntry(parsed.logsAt, key));
    return { ...parsed, logKeysAt: [], logSeen: [...parsed.logSeen, ...legacy] };
  } catch {
    return cursorSchema.parse({});
  }
}

export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

/** DescribeStackEvents pages read when a stack's events are first fetched. */
export const maxStackEventPages = 5;
/** Digests kept per cursor: more lines than this within one overlap could repeat. */
const maxSeen = 2_000;

/** Stack events after the cursor, oldest first, from a newest-first list of the stack's events. */
export function newStackEvents(
  newestFirst: StackEvent[],
  cursor: EventCursor,
): { events: ProviderEvent[]; cursor: Pick<EventCursor, "stackEventIds" | "stackEventsAt"> } {
  const seen = new Set(cursor.stackEventIds);
  const fresh: StackEvent[] = [];
  for (const event of newestFirst) {
    const at = event.Timestamp ? new Date(event.Timestamp).getTime() : 0;
    if (seen.has(event.EventId ?? "") || at < cursor.stackEventsAt) break;
    fresh.push(event);
  }
  const unique = [...new Map(fresh.map((e) => [e.EventId ?? "", e])).values()].reverse();
  const events: ProviderEvent[] = unique.map((e) => ({
    kind: "stack",
    at: new Date(e.Timestamp ?? 0).toISOString(),
    resource: e.LogicalResourceId ?? "",
    status: e.ResourceStatus ?? "",
    ...(e.ResourceStatusReason ? { reason: e.ResourceStatusReason } : {}),
  }));
  if (unique.length === 0) return { events, cursor: { stackEventIds: cursor.stackEventIds, stackEventsAt: cursor.stackEventsAt } };
  const newestAt = Math.max(...unique.map((e) => new Date(e.Timestamp ?? 0).getTime()));
  const idsAtNewest = unique.filter((e) => new Date(e.Timestamp ?? 0).getTime() === newestAt).map((e) => e.EventId ?? "");
  const keep = newestAt === cursor.stackEventsAt ? [...cursor.stackEventIds, ...idsAtNewest] : idsAtNewest;
  return { events, cursor: { stackEventIds: keep.slice(-200), stackEventsAt: newestAt } };
}

/** One line of a task's log as CloudWatch Logs returned it. */
export interface LogLine {
  /** "<stream>:<event id>": unique and stable across calls. */
  key: string;
  at: number;
  stream: string;
  text: string;
}

/** Stream names are "<prefix>/<container>/<task id>", as the awslogs driver writes them. */
export function parseStream(stream: string, prefix: string): { role: TaskRole; task: string } | undefined {
  if (!stream.startsWith(`${prefix}/`)) return undefined;
  const [role, task] = stream.slice(prefix.length + 1).split("/");
  if ((role === "scheduler" || role === "worker") && task) return { role, task };
  return undefined;
}

function digest(key: string): string {
  return createHash("sha1").update(key).digest("base64url").slice(0, 12);
}

function seenEntry(at: number, key: string): string {
  return `${at.toString(36)}.${digest(key)}`;
}

/**
 * The environment's lines the cursor has not handed out, oldest first, and the cursor
 * after them. `lines` may hold anything fetched since `logsAt - overlapMs`, in any
 * order and with repeats; lines of other environments are skipped.
 */
export function selectNewLines(
  lines: Iterable<LogLine>,
  streamPrefix: string,
  cursor: EventCursor,
  overlapMs: number,
): { events: ProviderEvent[]; cursor: Pick<EventCursor, "logsAt" | "logKeysAt" | "logSeen"> } {
  const floor = cursor.logsAt > 0 ? cursor.logsAt - overlapMs : 0;
  const seen = new Set(cursor.logSeen.map((entry) => entry.slice(entry.indexOf(".") + 1)));
  const fresh = new Map<string, LogLine & { source: { role: TaskRole; task: string } }>();
  for (const line of lines) {
    if (line.at < floor || fresh.has(line.key)) continue;
    const source = parseStream(line.stream, streamPrefix);
    if (!source || seen.has(digest(line.key))) continue;
    fresh.set(line.key, { ...line, source });
  }
  const ordered = [...fresh.values()].sort((a, b) => a.at - b.at);
  if (ordered.length === 0) return { events: [], cursor: { logsAt: cursor.logsAt, logKeysAt: [], logSeen: cursor.logSeen } };
  const logsAt = Math.max(cursor.logsAt, ordered[ordered.length - 1].at);
  const keepFrom = logsAt - overlapMs;
  const kept = cursor.logSeen.filter((entry) => parseInt(entry.slice(0, entry.indexOf(".")), 36) >= keepFrom);
  for (const line of ordered) if (line.at >= keepFrom) kept.push(seenEntry(line.at, line.key));
  const events: ProviderEvent[] = ordered.map((line) => ({
    kind: "log",
    at: new Date(line.at).toISOString(),
    task: line.source.task,
    role: line.source.role,
    text: line.text,
    key: line.key,
  }));
  return { events, cursor: { logsAt, logKeysAt: [], logSeen: kept.slice(-maxSeen) } };
}

/**
 * Where an environment's next log read starts: a little before its newest line, or, with no
 * line yet, a little before the stack itself (task clocks may run behind). In event mode an
 * environment that a read of its own has already brought up to `caughtUpAt` starts there, so
 * the room's buffer serves it from then on: without that, one whose stack is older than the
 * buffer and that has written nothing yet would read on its own at every poll.
 */
export function logsSince(cursor: Pick<EventCursor, "logsAt">, stackCreatedAt: number, overlapMs: number, caughtUpAt = 0): number {
  const since = cursor.logsAt > 0 ? cursor.logsAt - overlapMs : stackCreatedAt - 120_000;
  return caughtUpAt > 0 ? Math.max(since, caughtUpAt - overlapMs) : since;
}

/**
 * FilterLogEvents pages from `startTime` (interleaved, so in time order). `complete` is
 * false when the page limit stopped it; `reachedAt` is then the newest time it covered.
 */
export async function fetchLogLines(
  logs: CloudWatchLogsClient,
  limiter: RateLimiter,
  where: { logGroup: string; streamPrefix?: string; startTime: number; maxPages: number },
): Promise<{ lines: LogLine[]; complete: boolean; reachedAt: number }> {
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  let reachedAt = where.startTime;
  for (let page = 0; page < where.maxPages; page++) {
    const response = await limiter.run("logs-read", () =>
      logs.send(
        new FilterLogEventsCommand({
          logGroupName: where.logGroup,
          ...(where.streamPrefix ? { logStreamNamePrefix: `${where.streamPrefix}/` } : {}),
          startTime: where.startTime > 0 ? where.startTime : undefined,
          interleaved: true,
          nextToken,
        }),
      ),
      // Log reads are always a poller's: an action never waits behind them.
      { background: true },
    );
    for (const event of response.events ?? []) {
      const at = event.timestamp ?? 0;
      const stream = event.logStreamName ?? "";
      // Moto ignores logStreamNamePrefix; selectNewLines skips other environments' lines.
      // A CloudWatch event may hold 256 KiB on one line: only its start goes on, marked as cut.
      lines.push({ key: `${stream}:${event.eventId}`, at, stream, text: capLogLine(event.message ?? "") });
      reachedAt = Math.max(reachedAt, at);
    }
    nextToken = response.nextToken;
    if (!nextToken) return { lines, complete: true, reachedAt };
  }
  return { lines, complete: false, reachedAt };
}
