import "server-only";
import { recordDiagnosis } from "@/lib/db/diagnosis-queries";
import type { EnvironmentDiagnosis } from "@/lib/diagnosis/codes";
import { FailureWatch } from "@/lib/diagnosis/watch";
import { holdWorkerMaximum } from "@/lib/environments/enforce-limits";
import { inTransaction, updateEnvironment } from "@/lib/db/queries";
import { appendStreamEvent, lastStreamSeq, newestSchedulerLineContaining, streamEventsAfter } from "@/lib/db/stream-queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { PROGRESS_PREFIX, progressOfLogLine, progressOfStoredLog, type ClusterProgress } from "@/lib/labs/progress-line";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type EventBatch, type Provider } from "@/lib/providers/types";
import { isQuiet } from "@/lib/status";
import { pollDelay } from "./budget";
import { Channel, frameBytes, type Sink } from "./channel";
import { diffSnapshots, linksChanged } from "./diff";
import type { EnvironmentEvents, FrameOf, UnnumberedFrame } from "./protocol";

/** Events kept in memory per environment for fast resume (at most so many, and so many bytes); all are also on disk. */
export const MEMORY_EVENTS = 5_000;
const MEMORY_BYTES = 2 * 1024 * 1024;
/** The newest events replayed to a browser that connects without a resume point: at most so many, and so many bytes. */
const FRESH_REPLAY = 1_000;
const FRESH_REPLAY_BYTES = 512 * 1024;
/** Stored events read at most for one reconnect; a page further behind is told of a gap. */
const STORED_READ = 10_000;

export type EnvironmentSink = Sink<EnvironmentEvents>;
type Frame = UnnumberedFrame<EnvironmentEvents>;

/** The newest of `frames` that fit in `bytes`. */
function newestWithin<F extends { event: string; data: unknown }>(frames: F[], bytes: number): F[] {
  let first = frames.length;
  for (let used = 0; first > 0; first--) {
    used += frameBytes(frames[first - 1]);
    if (used > bytes) break;
  }
  return frames.slice(first);
}

/**
 * One environment's live stream: a single poller, however many browsers watch, turning
 * provider snapshots and events into numbered frames that are kept in memory and on
 * disk (with the provider cursor that produced them), so a reconnecting browser resumes
 * where it left off, even after a restart.
 */
export class EnvironmentStream {
  private readonly channel: Channel<EnvironmentEvents>;
  private snapshot: EnvironmentSnapshot | null = null;
  private cursor: string | null;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private active = false;
  private finished = false;
  private stopped = false;
  /** News arrived while a poll was running: poll again right after it. */
  private again = false;
  /** The newest progress line the scheduler wrote (undefined: not looked up in the store yet). */
  private progress: ClusterProgress | null | undefined;
  /** The environment's latest failure, read from what each poll brings (lib/diagnosis). */
  private readonly failures: FailureWatch;

  constructor(
    private readonly env: EnvironmentRef,
    row: EnvironmentRow,
    private readonly provider: Provider,
    private readonly onSnapshot: (envId: string, snapshot: EnvironmentSnapshot) => void = () => {},
  ) {
    this.channel = new Channel<EnvironmentEvents>({
      keep: MEMORY_EVENTS,
      keepBytes: MEMORY_BYTES,
      lastId: lastStreamSeq(env.id),
      stored: (afterId, beforeId) =>
        streamEventsAfter(env.id, afterId, STORED_READ, beforeId).map(
          (r) => ({ id: r.seq, event: r.event, data: JSON.parse(r.data) }) as FrameOf<EnvironmentEvents>,
        ),
      gap: (missed) => ({ event: "gap", data: missed }),
      dropReason: "This browser could not keep up and was disconnected; it will reconnect and resume where it stopped.",
    });
    this.cursor = row.streamCursor;
    this.finished = row.deletedAt !== null;
    this.failures = new FailureWatch(env.id);
    provider.onActivity?.(env, () => this.nudge());
  }

  get lastSnapshot(): EnvironmentSnapshot | null {
    return this.snapshot;
  }

  get watcherCount(): number {
    return this.channel.subscribers;
  }

  /**
   * Registers a subscriber: it gets what it missed since `lastEventId` or, without one (or
   * when that is gone: then after a gap marker), the recent history and the current
   * snapshot, then every new frame.
   */
  subscribe(sink: EnvironmentSink, lastEventId: number | null): () => void {
    const unsubscribe = this.channel.subscribe(sink, lastEventId, () => {
      const recent = newestWithin(this.channel.latest(FRESH_REPLAY), FRESH_REPLAY_BYTES);
      return this.snapshot ? [...recent, { event: "snapshot", data: this.snapshot }] : recent;
    });
    this.wake();
    return unsubscribe;
  }

  /**
   * Keeps the environment polled (at its settled pace) while someone follows the whole room,
   * without replaying anything to them: they read the snapshots from the hub.
   */
  follow(onDropped: () => void): () => void {
    return this.subscribe({ send: () => true, close: onDropped }, this.channel.lastId);
  }

  /** Starts polling (e.g. after an action); it stops by itself once settled and unwatched. */
  wake(): void {
    if (this.stopped || (this.finished && this.snapshot)) return;
    this.active = true;
    if (!this.timer && !this.polling) this.schedule(0);
  }

  /** Stops polling for good (the portal is shutting down). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The cluster's progress as its scheduler last wrote it to the log (docker/workshop_progress.py),
   * or null when no such line came yet. Read from the store once, then kept from each poll's lines.
   */
  latestProgress(): ClusterProgress | null {
    if (this.progress === undefined) {
      this.progress = progressOfStoredLog(newestSchedulerLineContaining(this.env.id, PROGRESS_PREFIX));
    }
    return this.progress;
  }

  /** The environment's latest failure, diagnosed, unless dismissed. */
  get diagnosis(): EnvironmentDiagnosis | null {
    return this.failures.diagnosis;
  }

  /** The attendee dismissed the diagnosis (already done in the store): pages stop showing it. */
  diagnosisDismissed(): void {
    this.failures.clear();
    this.channel.publish([{ event: "diagnosis", data: null }], {
      persist: (numbered) => inTransaction(() => numbered.forEach((f) => appendStreamEvent(this.env.id, f.id, f.event, JSON.stringify(f.data)))),
    });
  }

  /** One poll now, awaited: used by progress checks and tests. */
  async pollNow(): Promise<EnvironmentSnapshot | null> {
    await this.poll();
    return this.snapshot;
  }

  /** The provider has news for this environment: poll now if anyone is watching. */
  private nudge(): void {
    if (this.stopped || this.finished || (!this.active && this.channel.subscribers === 0)) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.next());
    }, ms);
    this.timer.unref();
  }

  private next(): void {
    const quiet = this.snapshot ? isQuiet(this.snapshot) : false;
    if (this.stopped || this.finished || (quiet && this.channel.subscribers === 0)) {
      this.active = false;
      return;
    }
    const again = this.again;
    this.again = false;
    if (this.active || this.channel.subscribers) this.schedule(again ? 0 : pollDelay(quiet));
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.pollOnce();
    } finally {
      this.polling = false;
    }
  }

  private async pollOnce(): Promise<void> {
    let snapshot: EnvironmentSnapshot;
    let batch: EventBatch;
    try {
      snapshot = await this.provider.describe(this.env);
      batch = await this.provider.events(this.env, this.cursor);
    } catch (err) {
      const message = ProviderError.is(err) ? err.message : "The cloud API did not answer; retrying.";
      if (this.snapshot && this.snapshot.degraded !== message) this.commit({ ...this.snapshot, degraded: message }, []);
      return;
    }
    const frames: Frame[] = batch.events.map((e) =>
      e.kind === "log"
        ? { event: "log", data: { at: e.at, task: e.task, role: e.role, text: e.text } }
        : { event: "stack-event", data: { at: e.at, resource: e.resource, status: e.status, reason: e.reason } },
    );
    // The event's worker maximum holds on what runs, whoever changed the count.
    const held = await holdWorkerMaximum(this.provider, this.env, snapshot);
    if (held) {
      snapshot = held.snapshot;
      frames.push({ event: "log", data: held.notice });
    }
    this.commit(snapshot, frames, batch.cursor);
  }

  /** Numbers, persists and broadcasts one poll's worth of frames, with the cursor that produced them. */
  private commit(snapshot: EnvironmentSnapshot, providerFrames: Frame[], cursor = this.cursor): void {
    const before = this.snapshot;
    const frames = [...diffSnapshots(before, snapshot), ...providerFrames];
    const diagnosis = this.failures.observe(frames);
    if (diagnosis) frames.push({ event: "diagnosis", data: diagnosis });
    const gone = snapshot.status === "DELETE_COMPLETE";
    // A settled environment polled again changes nothing: skip the write rather than touch the row each poll.
    const unchanged = before !== null && frames.length === 0 && cursor === this.cursor;
    for (const f of providerFrames) {
      const progress = f.event === "log" ? progressOfLogLine(f.data) : null;
      if (progress) this.progress = progress;
    }
    if (!unchanged) {
      const runningWorkers = snapshot.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING").length;
      // The frames and the cursor that produced them land together, or neither does.
      const save = (numbered: FrameOf<EnvironmentEvents>[]) =>
        inTransaction(() => {
          for (const f of numbered) appendStreamEvent(this.env.id, f.id, f.event, JSON.stringify(f.data));
          if (diagnosis) {
            recordDiagnosis({
              envId: this.env.id,
              attendeeId: this.env.attendeeId,
              code: diagnosis.code,
              raw: diagnosis.raw,
              source: diagnosis.source,
              pointsAt: diagnosis.pointsAt ?? null,
              at: diagnosis.at,
            });
          }
          updateEnvironment(this.env.id, {
            status: snapshot.status,
            statusReason: snapshot.reason ?? null,
            desiredWorkers: snapshot.desiredWorkers,
            runningWorkers,
            streamCursor: cursor,
            ...(gone ? { deletedAt: new Date().toISOString() } : {}),
          });
        });
      if (frames.length) this.channel.publish(frames, { persist: save });
      else save([]);
    }
    this.cursor = cursor;
    this.snapshot = snapshot;
    if (gone) this.finished = true;
    if (!before || linksChanged(before, snapshot)) this.channel.broadcastState({ event: "snapshot", data: snapshot });
    this.onSnapshot(this.env.id, snapshot);
  }
}
