import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { Poller } from "@/lib/poller";
import { fetchLogLines, type LogLine } from "./events";
import type { RateLimiter } from "./limiter";

export interface RoomLogTiming {
  /** Time between FilterLogEvents reads while anyone is watching (0: only when asked). */
  intervalMs: number;
  /** How far back each read starts before the newest line seen, for lines that show up late. */
  overlapMs: number;
  /** How long lines stay buffered for environments to pick up. */
  retentionMs: number;
  /** The reads stop when nobody has asked for lines for this long. */
  idleMs: number;
}

const maxPagesPerRead = 10;
const maxBufferedLines = 300_000;

/**
 * The event log group read through ONE FilterLogEvents cursor for the whole room.
 * Lines are buffered per environment (the stream prefix is the stack name) for a
 * while; each environment's own cursor (lib/providers/aws/events.ts) picks its lines
 * out of that buffer, so a room of fifty costs the same log reads as one attendee.
 * Reads run on a jittered Poller only while someone asked recently, and whoever is
 * listening for a stack hears when its lines arrive.
 */
export class RoomLog {
  private byStack = new Map<string, LogLine[]>();
  private keys = new Set<string>();
  private lineCount = 0;
  private from: number;
  private coveredFrom: number;
  private readAt = 0;
  /** When the last read (successful or not) started: reads start an interval apart. */
  private startedAt = 0;
  private failure?: unknown;
  private askedAt = 0;
  /**
   * Reads start an interval (±20% jitter, so they never line up with other pollers) after
   * the previous one started, not after it ended: a slow answer does not stretch the gap a
   * line waits through, and the rate stays at one read per interval. Nobody asked for a
   * while: the reads stop until someone does.
   */
  private readonly poller = new Poller({
    round: () => this.readOnce(),
    next: () => (this.timing.intervalMs <= 0 || Date.now() - this.askedAt > this.timing.idleMs ? null : this.gap()),
    fromStart: true,
  });

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly limiter: RateLimiter,
    private readonly logGroup: string,
    private readonly timing: RoomLogTiming,
    private readonly onLines: (stackNames: Set<string>) => void,
    private readonly random: () => number = Math.random,
  ) {
    // The first read reaches back as far as the buffer keeps lines; anything older is read
    // per environment, once (see covers()).
    this.from = Date.now() - timing.retentionMs;
    this.coveredFrom = this.from;
  }

  /** True when every line at or after `since` is (or will be) in the buffer. */
  covers(since: number): boolean {
    return since >= this.coveredFrom;
  }

  /**
   * The stack's buffered lines at or after `since`, read no longer than `intervalMs`
   * ago. Throws while the last read failed, so the stream shows it is degraded.
   */
  async lines(stackName: string, since: number): Promise<LogLine[]> {
    this.askedAt = Date.now();
    if (this.timing.intervalMs > 0 && !this.poller.busy) this.poller.wake(Math.max(0, this.startedAt + this.gap() - Date.now()));
    // The poller keeps the buffer fresh; a caller reads by itself only when it fell behind.
    const behind = Date.now() - this.readAt > (this.poller.scheduled ? 2 : 1) * this.timing.intervalMs;
    if (behind) await this.poller.runNow();
    if (this.failure) throw this.failure;
    return (this.byStack.get(stackName) ?? []).filter((line) => line.at >= since);
  }

  private gap(): number {
    return this.timing.intervalMs * (0.8 + 0.4 * this.random());
  }

  private async readOnce(): Promise<void> {
    const startedAt = Date.now();
    this.startedAt = startedAt;
    try {
      const { lines, reachedAt } = await fetchLogLines(this.logs, this.limiter, {
        logGroup: this.logGroup,
        startTime: this.from,
        maxPages: maxPagesPerRead,
      });
      const touched = new Set<string>();
      for (const line of lines) {
        if (this.keys.has(line.key)) continue;
        const stackName = line.stream.split("/")[0];
        let bucket = this.byStack.get(stackName);
        if (!bucket) {
          bucket = [];
          this.byStack.set(stackName, bucket);
        }
        bucket.push(line);
        this.keys.add(line.key);
        this.lineCount += 1;
        touched.add(stackName);
      }
      this.from = Math.max(this.from, reachedAt - this.timing.overlapMs);
      this.readAt = startedAt;
      this.failure = undefined;
      this.prune(startedAt);
      if (touched.size) this.onLines(touched);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /** Drops lines past retention (or the oldest, past the buffer's size); coverage moves up with them. */
  private prune(now: number): void {
    let cutoff = now - this.timing.retentionMs;
    if (this.lineCount > maxBufferedLines) cutoff = Math.max(cutoff, this.from - this.timing.overlapMs);
    if (cutoff <= this.coveredFrom) return;
    for (const [stackName, bucket] of this.byStack) {
      const kept = bucket.filter((line) => line.at >= cutoff);
      for (const line of bucket) if (line.at < cutoff) this.keys.delete(line.key);
      this.lineCount -= bucket.length - kept.length;
      if (kept.length) this.byStack.set(stackName, kept);
      else this.byStack.delete(stackName);
    }
    this.coveredFrom = cutoff;
  }
}
