import "server-only";
import { inTransaction } from "@/lib/db";
import { appendStreamEvent, lastStreamSeq, streamEventsAfter } from "@/lib/db/stream-queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { Poller } from "@/lib/poller";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type EventBatch, type Provider } from "@/lib/providers/contract";
import { isQuiet } from "@/lib/status";
import { Channel, frameBytes, type Sink } from "@/lib/stream/channel";
import type { EnvironmentEvents, FrameOf, UnnumberedFrame } from "@/lib/stream/protocol";
import { pollDelay } from "./cadence";
import { diffSnapshots, linksChanged } from "./snapshot-diff";

/** Events kept in memory per environment for fast resume (at most so many, and so many bytes); all are also on disk. */
export const MEMORY_EVENTS = 5_000;
const MEMORY_BYTES = 2 * 1024 * 1024;
/** The newest events replayed to a browser that connects without a resume point: at most so many, and so many bytes. */
const FRESH_REPLAY = 1_000;
const FRESH_REPLAY_BYTES = 512 * 1024;
/** Stored events read at most for one reconnect; a page further behind is told of a gap. */
const STORED_READ = 10_000;

export type EnvironmentSink = Sink<EnvironmentEvents>;
export type EnvironmentFrame = UnnumberedFrame<EnvironmentEvents>;

/** One poll of an environment, as the policies see it on its way to the store and the pages. */
export interface WatchedPoll {
  readonly env: EnvironmentRef;
  /** The snapshot to publish (a policy that acted on the platform replaces it with what then holds). */
  snapshot: EnvironmentSnapshot;
  /** What the poll publishes: what changed since the last snapshot, the provider's events, and what policies add. */
  frames: EnvironmentFrame[];
  /** The provider's cursor after the events above. */
  cursor: string | null;
  /** The environment is gone (DELETE_COMPLETE). */
  readonly gone: boolean;
}

/**
 * Something the portal does with every snapshot of an environment, registered by the runtime
 * (lib/environments/policies.ts): hold a limit, read the cluster's progress, diagnose a
 * failure, write the environment's row back. A policy is made per environment.
 */
export interface SnapshotPolicy {
  /** What kind of policy it is, the same in every copy of its module (`policy()` finds it by this). */
  readonly kind?: string;
  /** Before anything is published, when the platform answered: may act on it and change the poll. */
  act?(poll: WatchedPoll): Promise<void>;
  /** Reads the poll's frames once every `act` is done; may add frames of its own. */
  observe?(poll: WatchedPoll): void;
  /** Inside the one transaction that stores the poll's frames and cursor: what the policy keeps. */
  save?(poll: WatchedPoll): void;
}

export interface WatcherOptions {
  provider: Provider;
  policies: SnapshotPolicy[];
  /** Every snapshot, once committed (the room's feed). */
  onSnapshot?: (envId: string, snapshot: EnvironmentSnapshot) => void;
}

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
 * One environment watched: a single poller, however many browsers follow it, reading the
 * provider's snapshots and events, passing each poll through the registered policies and
 * publishing it as numbered frames, kept in memory and on disk with the provider cursor that
 * produced them, so a reconnecting browser resumes where it left off, even after a restart.
 * The channel and the SSE encoding are lib/stream's; what a poll means is the policies'.
 */
export class EnvironmentWatcher {
  private readonly channel: Channel<EnvironmentEvents>;
  private readonly poller: Poller;
  private readonly provider: Provider;
  private readonly policies: SnapshotPolicy[];
  private readonly onSnapshot: (envId: string, snapshot: EnvironmentSnapshot) => void;
  private snapshot: EnvironmentSnapshot | null = null;
  private cursor: string | null;
  /** Polled even unwatched, until the environment settles (after an action, at start-up). */
  private active = false;
  private finished = false;
  private stopped = false;

  constructor(
    private readonly env: EnvironmentRef,
    row: EnvironmentRow,
    options: WatcherOptions,
  ) {
    this.provider = options.provider;
    this.policies = options.policies;
    this.onSnapshot = options.onSnapshot ?? (() => {});
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
    this.poller = new Poller({ round: () => this.pollOnce(), next: () => this.nextDelay(), onError: (error) => this.roundFailed(error) });
    this.cursor = row.streamCursor;
    this.finished = row.deletedAt !== null;
    this.provider.onActivity?.(env, () => this.nudge());
  }

  get lastSnapshot(): EnvironmentSnapshot | null {
    return this.snapshot;
  }

  get watcherCount(): number {
    return this.channel.subscribers;
  }

  /**
   * The registered policy of this kind, to ask what it keeps (the cluster's progress, the
   * diagnosis). Matched by the class's name of its kind, not `instanceof`: the runtime's copy
   * of a policy class and a route's are different classes in Next.js's server (see
   * docs/architecture.md, "Two things to know about the process").
   */
  policy<T extends SnapshotPolicy>(kind: { readonly kind: string } & (abstract new (...args: never[]) => T)): T | undefined {
    return this.policies.find((p): p is T => p.kind === kind.kind);
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
   * without replaying anything to them: they read the snapshots from the registry.
   */
  follow(onDropped: () => void): () => void {
    return this.subscribe({ send: () => true, close: onDropped }, this.channel.lastId);
  }

  /** Starts polling (e.g. after an action); it stops by itself once settled and unwatched. */
  wake(): void {
    if (this.stopped || (this.finished && this.snapshot)) return;
    this.active = true;
    this.poller.wake();
  }

  /** Stops polling for good (the portal is shutting down). */
  stop(): void {
    this.stopped = true;
    this.poller.stop();
  }

  /** Publishes frames from outside a poll (a dismissed diagnosis), numbered and stored like the rest. */
  publish(frames: EnvironmentFrame[]): void {
    this.channel.publish(frames, { persist: (numbered) => inTransaction(() => this.store(numbered)) });
  }

  /** One poll now, awaited (joining one under way): used by progress checks and tests. */
  async pollNow(): Promise<EnvironmentSnapshot | null> {
    await this.poller.runNow();
    return this.snapshot;
  }

  /** The provider has news for this environment: poll now if anyone is watching. */
  private nudge(): void {
    if (this.stopped || this.finished || (!this.active && this.channel.subscribers === 0)) return;
    this.poller.nudge();
  }

  private nextDelay(): number | null {
    const quiet = this.snapshot ? isQuiet(this.snapshot) : false;
    if (this.stopped || this.finished || (quiet && this.channel.subscribers === 0)) {
      this.active = false;
      return null;
    }
    return this.active || this.channel.subscribers ? pollDelay(quiet) : null;
  }

  /** What last failed a round past what pollOnce handles itself (a store write, a policy): said once, not at every poll. */
  private lastFailure?: string;

  private roundFailed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message !== this.lastFailure) console.error(`[stream] ${this.env.stackName}: a poll failed and will be tried again: ${message}`);
    this.lastFailure = message;
  }

  private async pollOnce(): Promise<void> {
    let snapshot: EnvironmentSnapshot;
    let batch: EventBatch;
    try {
      snapshot = await this.provider.describe(this.env);
      batch = await this.provider.events(this.env, this.cursor);
    } catch (err) {
      const message = ProviderError.is(err) ? err.message : "The cloud API did not answer; retrying.";
      if (this.snapshot && this.snapshot.degraded !== message) {
        this.commit({ env: this.env, snapshot: { ...this.snapshot, degraded: message }, frames: [], cursor: this.cursor, gone: false });
      }
      return;
    }
    const poll: WatchedPoll = {
      env: this.env,
      snapshot,
      frames: batch.events.map((e) =>
        e.kind === "log"
          ? { event: "log", data: { at: e.at, task: e.task, role: e.role, text: e.text } }
          : { event: "stack-event", data: { at: e.at, resource: e.resource, status: e.status, reason: e.reason } },
      ),
      cursor: batch.cursor,
      gone: snapshot.status === "DELETE_COMPLETE",
    };
    for (const policy of this.policies) await policy.act?.(poll);
    this.commit(poll);
  }

  /** Numbers, persists and broadcasts one poll's worth of frames, with the cursor that produced them. */
  private commit(poll: WatchedPoll): void {
    const before = this.snapshot;
    poll.frames = [...diffSnapshots(before, poll.snapshot), ...poll.frames];
    for (const policy of this.policies) policy.observe?.(poll);
    // A settled environment polled again changes nothing: skip the write rather than touch the row each poll.
    const unchanged = before !== null && poll.frames.length === 0 && poll.cursor === this.cursor;
    if (!unchanged) {
      // The frames, the cursor that produced them and what the policies keep land together, or none does.
      const save = (numbered: FrameOf<EnvironmentEvents>[]) =>
        inTransaction(() => {
          this.store(numbered);
          for (const policy of this.policies) policy.save?.(poll);
        });
      if (poll.frames.length) this.channel.publish(poll.frames, { persist: save });
      else save([]);
    }
    this.cursor = poll.cursor;
    this.snapshot = poll.snapshot;
    if (poll.gone) this.finished = true;
    if (!before || linksChanged(before, poll.snapshot)) this.channel.broadcastState({ event: "snapshot", data: poll.snapshot });
    this.onSnapshot(this.env.id, poll.snapshot);
  }

  private store(numbered: FrameOf<EnvironmentEvents>[]): void {
    for (const f of numbered) appendStreamEvent(this.env.id, f.id, f.event, JSON.stringify(f.data));
  }
}
