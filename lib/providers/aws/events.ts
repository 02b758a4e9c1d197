import { DescribeStackEventsCommand, type CloudFormationClient, type StackEvent } from "@aws-sdk/client-cloudformation";
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { z } from "zod";
import type { ProviderEvent, TaskRole } from "../types";
import type { RateLimiter } from "./limiter";

/**
 * Where an event stream stopped. Stack events: the ids already handed out from the
 * newest page (CloudFormation lists newest first). Logs: the newest timestamp handed
 * out and the keys seen at exactly that time, since FilterLogEvents' startTime is
 * inclusive and several lines can share one millisecond.
 */
const cursorSchema = z.object({
  stackEventIds: z.array(z.string()).default([]),
  stackEventsAt: z.number().default(0),
  logsAt: z.number().default(0),
  logKeysAt: z.array(z.string()).default([]),
});
export type EventCursor = z.infer<typeof cursorSchema>;

export function decodeCursor(cursor: string | null): EventCursor {
  if (!cursor) return cursorSchema.parse({});
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    return cursorSchema.parse({});
  }
}

export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

const maxStackEventPages = 5;
const maxLogPages = 5;

/** Stack events after the cursor, oldest first. */
export async function newStackEvents(
  cfn: CloudFormationClient,
  limiter: RateLimiter,
  stackId: string,
  cursor: EventCursor,
): Promise<{ events: ProviderEvent[]; cursor: Pick<EventCursor, "stackEventIds" | "stackEventsAt"> }> {
  const seen = new Set(cursor.stackEventIds);
  const fresh: StackEvent[] = [];
  let nextToken: string | undefined;
  pages: for (let page = 0; page < maxStackEventPages; page++) {
    const response = await limiter.run("cfn-read", () =>
      cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken })),
    );
    for (const event of response.StackEvents ?? []) {
      const at = event.Timestamp ? new Date(event.Timestamp).getTime() : 0;
      if (seen.has(event.EventId ?? "") || at < cursor.stackEventsAt) break pages;
      fresh.push(event);
    }
    nextToken = response.NextToken;
    if (!nextToken) break;
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

/** Stream names are "<prefix>/<container>/<task id>", as the awslogs driver writes them. */
function parseStream(stream: string, prefix: string): { role: TaskRole; task: string } | undefined {
  if (!stream.startsWith(`${prefix}/`)) return undefined;
  const [role, task] = stream.slice(prefix.length + 1).split("/");
  if ((role === "scheduler" || role === "worker") && task) return { role, task };
  return undefined;
}

/** Key of a log line: unique and stable across calls (event ids are unique per stream). */
function logKey(event: FilteredLogEvent): string {
  return `${event.logStreamName}:${event.eventId}`;
}

/** Log lines of the environment after the cursor, oldest first, each once. */
export async function newLogLines(
  logs: CloudWatchLogsClient,
  limiter: RateLimiter,
  where: { logGroup: string; streamPrefix: string },
  cursor: EventCursor,
): Promise<{ events: ProviderEvent[]; cursor: Pick<EventCursor, "logsAt" | "logKeysAt"> }> {
  const seenAtStart = new Set(cursor.logKeysAt);
  const byKey = new Map<string, ProviderEvent & { kind: "log" }>();
  const times = new Map<string, number>();
  let nextToken: string | undefined;
  for (let page = 0; page < maxLogPages; page++) {
    const response = await limiter.run("logs-read", () =>
      logs.send(
        new FilterLogEventsCommand({
          logGroupName: where.logGroup,
          logStreamNamePrefix: `${where.streamPrefix}/`,
          startTime: cursor.logsAt || undefined,
          interleaved: true,
          nextToken,
        }),
      ),
    );
    for (const event of response.events ?? []) {
      // Moto ignores logStreamNamePrefix, and a shared event log group holds every attendee.
      const source = parseStream(event.logStreamName ?? "", where.streamPrefix);
      const key = logKey(event);
      const at = event.timestamp ?? 0;
      if (!source || byKey.has(key) || (at === cursor.logsAt && seenAtStart.has(key)) || at < cursor.logsAt) continue;
      byKey.set(key, { kind: "log", at: new Date(at).toISOString(), task: source.task, role: source.role, text: event.message ?? "", key });
      times.set(key, at);
    }
    nextToken = response.nextToken;
    if (!nextToken) break;
  }
  const events = [...byKey.values()].sort((a, b) => (times.get(a.key) ?? 0) - (times.get(b.key) ?? 0));
  if (events.length === 0) return { events, cursor: { logsAt: cursor.logsAt, logKeysAt: cursor.logKeysAt } };
  const newestAt = times.get(events[events.length - 1].key) ?? 0;
  const keysAtNewest = events.filter((e) => times.get(e.key) === newestAt).map((e) => e.key);
  const keep = newestAt === cursor.logsAt ? [...cursor.logKeysAt, ...keysAtNewest] : keysAtNewest;
  return { events, cursor: { logsAt: newestAt, logKeysAt: keep.slice(-500) } };
}
