import "server-only";
import type { Stack } from "@aws-sdk/client-cloudformation";
import { isSettled } from "@/lib/status";
import type { EnvironmentRef, EventBatch, ProviderEvent } from "@/lib/providers/contract";
import type { AwsContext, Known } from "./context";
import { toProviderError } from "./errors";
import { decodeCursor, encodeCursor, fetchLogLines, logsSince, newStackEvents, selectNewLines, type EventCursor, type LogLine } from "./events";
import { atMost, eventsOf, stackEventsWaitMs } from "./snapshot";
import { outputsOf, toStackStatus, validateStackName } from "./stack";

/** The environment's log lines after the cursor: from the room's buffer (event mode) or its own reads (solo). */
async function logLines(ctx: AwsContext, k: Known, stack: Stack, position: EventCursor) {
  const outputs = outputsOf(stack);
  const unchanged = { events: [], cursor: { logsAt: position.logsAt, logKeysAt: [], logSeen: position.logSeen } };
  if (!outputs.LogGroup || !outputs.LogStreamPrefix) return unchanged;
  const prefix = outputs.LogStreamPrefix;
  const { cadence } = ctx;
  const room = ctx.config.mode === "event" ? ctx.roomLog(outputs.LogGroup) : undefined;
  const since = logsSince(position, new Date(stack.CreationTime ?? 0).getTime(), cadence.overlapMs, room ? k.logsCaughtUpAt : 0);
  let lines: LogLine[] = [];
  if (room) lines = await room.lines(prefix, since);
  if (!room || !room.covers(since)) {
    // Solo mode, or lines from before the room's buffer (e.g. after a portal restart).
    if (!room && Date.now() - k.logsReadAt < cadence.logsMs) return unchanged;
    const readAt = Date.now();
    k.logsReadAt = readAt;
    const own = await fetchLogLines(ctx.clients.logs, ctx.limiter, { logGroup: outputs.LogGroup, streamPrefix: prefix, startTime: since, maxPages: 5 });
    lines = own.complete ? [...own.lines, ...lines] : own.lines.filter((line) => line.at <= own.reachedAt);
    if (room && own.complete) k.logsCaughtUpAt = readAt;
  }
  return selectNewLines(lines, prefix, position, cadence.overlapMs);
}

/** Stack events and log lines after the cursor, oldest first, each once. */
export async function environmentEvents(ctx: AwsContext, env: EnvironmentRef, cursor: string | null): Promise<EventBatch> {
  validateStackName(env.stackName);
  const k = ctx.entry(env);
  try {
    const stack = await ctx.stackOf(env, ctx.stackFreshAfter(k));
    if (!stack?.StackId) return { events: [], cursor };
    const position = decodeCursor(cursor);
    const settled = isSettled(toStackStatus(stack.StackStatus));
    const mark = ctx.statusMark(stack);
    let stackPart: { events: ProviderEvent[]; cursor: Partial<EventCursor> } = { events: [], cursor: {} };
    const logPart = logLines(ctx, k, stack, position);
    if (!settled || position.stackMark !== mark) {
      // Log lines never wait long behind the CloudFormation budget: stack events that are
      // not at hand yet come with a later poll (the read goes on and fills the cache).
      const list = await atMost(ctx, eventsOf(ctx, stack), stackEventsWaitMs);
      if (list) {
        const part = newStackEvents(list, position);
        stackPart = { events: part.events, cursor: { ...part.cursor, stackMark: settled ? mark : "" } };
      }
    }
    const logs = await logPart;
    let bytes = 0;
    for (const event of logs.events) if (event.kind === "log") bytes += Buffer.byteLength(event.text);
    if (bytes > 0) ctx.logBytes.set(env.stackName, (ctx.logBytes.get(env.stackName) ?? 0) + bytes);
    const events = [...stackPart.events, ...logs.events].sort((a, b) => a.at.localeCompare(b.at));
    return { events, cursor: encodeCursor({ ...position, ...stackPart.cursor, ...logs.cursor }) };
  } catch (error) {
    throw toProviderError(error, "reading stack events and logs");
  }
}
