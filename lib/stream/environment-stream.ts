import "server-only";
import {
  appendStreamEvent,
  inTransaction,
  lastStreamSeq,
  streamEventsAfter,
  updateEnvironment,
} from "@/lib/db/queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import {
  ProviderError,
  type EnvironmentRef,
  type EnvironmentSnapshot,
  type EventBatch,
  type Provider,
} from "@/lib/providers/types";
import { pollDelay } from "./budget";
import { diffSnapshots, isSettled, linksChanged } from "./diff";
import type { StreamEvent } from "./sse";

/** Events kept in memory per environment for fast resume; everything is also on disk. */
export const MEMORY_EVENTS = 5_000;
/** Events replayed to a browser that connects without a resume point. */
const FRESH_REPLAY = 1_000;

export interface Subscriber {
  /** Returns false when the subscriber cannot keep up; it is then dropped. */
  send(event: StreamEvent): boolean;
  /** Snapshot as this subscriber may see it (e.g. without the owner's notebook token). */
  view(snapshot: EnvironmentSnapshot): EnvironmentSnapshot;
  close(reason: string): void;
}

/**
 * One environment's live stream: a single poller, however many browsers watch, turning
 * provider snapshots and events into numbered stream events that are kept in memory and
 * on disk, so a reconnecting browser resumes where it left off.
 */
export class EnvironmentStream {
  private seq: number;
  private recent: StreamEvent[] = [];
  private subscribers = new Set<Subscriber>();
  private snapshot: EnvironmentSnapshot | null = null;
  private cursor: string | null;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private active = false;
  private finished = false;
  /** News arrived while a poll was running: poll again right after it. */
  private again = false;

  constructor(
    private readonly env: EnvironmentRef,
    row: EnvironmentRow,
    private readonly provider: Provider,
    private readonly onSnapshot: (envId: string, snapshot: EnvironmentSnapshot) => void = () => {},
  ) {
    this.seq = lastStreamSeq(env.id);
    this.cursor = row.streamCursor;
    this.finished = row.deletedAt !== null;
    provider.onActivity?.(env, () => this.nudge());
  }

  get lastSnapshot(): EnvironmentSnapshot | null {
    return this.snapshot;
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }

  /**
   * Registers a subscriber and hands it, in order: what it missed since `lastEventId`
   * (or the recent history), then the current snapshot. Runs synchronously, so no live
   * event can slip between the replay and the subscription.
   */
  subscribe(sub: Subscriber, lastEventId: number | null): () => void {
    for (const event of this.replay(lastEventId)) {
      if (!sub.send(event)) {
        sub.close("The browser could not keep up with the replay; reconnect to resume.");
        return () => {};
      }
    }
    if (this.snapshot) sub.send({ id: this.seq, event: "snapshot", data: sub.view(this.snapshot) });
    this.subscribers.add(sub);
    this.wake();
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Starts polling (e.g. after an action); it stops by itself once settled and unwatched. */
  wake(): void {
    if (this.finished && this.snapshot) return;
    this.active = true;
    if (!this.timer && !this.polling) this.schedule(0);
  }

  /** The provider has news for this environment: poll now if anyone is watching. */
  private nudge(): void {
    if (this.finished || (!this.active && this.subscribers.size === 0)) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  /** One poll now, awaited: used at start-up and by tests. */
  async pollNow(): Promise<EnvironmentSnapshot | null> {
    await this.poll();
    return this.snapshot;
  }

  private replay(lastEventId: number | null): StreamEvent[] {
    const after = lastEventId ?? Math.max(0, this.seq - FRESH_REPLAY);
    if (after >= this.seq) return [];
    const oldestInMemory = this.recent[0]?.id ?? Infinity;
    if (oldestInMemory <= after + 1) return this.recent.filter((e) => e.id > after);
    return streamEventsAfter(this.env.id, after).map((row) => ({
      id: row.seq,
      event: row.event,
      data: JSON.parse(row.data) as unknown,
    }));
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.next());
    }, ms);
    this.timer.unref();
  }

  private next(): void {
    const settled = this.snapshot ? isSettled(this.snapshot) : false;
    if (this.finished) {
      this.active = false;
      return;
    }
    if (settled && this.subscribers.size === 0) {
      this.active = false;
      return;
    }
    const again = this.again;
    this.again = false;
    if (this.active || this.subscribers.size) this.schedule(again ? 0 : pollDelay(settled));
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
      const message =
        err instanceof ProviderError ? err.message : "The cloud API did not answer; retrying.";
      if (this.snapshot && this.snapshot.degraded !== message) {
        this.commit({ ...this.snapshot, degraded: message }, []);
      }
      return;
    }
    const pending: Omit<StreamEvent, "id">[] = [];
    for (const e of batch.events) {
      if (e.kind === "log") pending.push({ event: "log", data: { at: e.at, task: e.task, role: e.role, text: e.text } });
      else pending.push({ event: "stack-event", data: { at: e.at, resource: e.resource, status: e.status, reason: e.reason } });
    }
    this.commit(snapshot, pending, batch.cursor);
  }

  /** Numbers, persists and broadcasts one poll's worth of events, with the cursor that produced them. */
  private commit(snapshot: EnvironmentSnapshot, providerEvents: Omit<StreamEvent, "id">[], cursor = this.cursor): void {
    const before = this.snapshot;
    const changes = diffSnapshots(before, snapshot);
    const fresh: StreamEvent[] = [];
    const gone = snapshot.status === "DELETE_COMPLETE";
    const runningWorkers = snapshot.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING").length;
    // A settled environment polled again changes nothing: skip the write rather than touch the row each poll.
    const unchanged = before !== null && changes.length === 0 && providerEvents.length === 0 && cursor === this.cursor;
    if (!unchanged) inTransaction(() => {
      for (const change of [...changes, ...providerEvents]) {
        const event = { id: ++this.seq, event: change.event, data: change.data };
        appendStreamEvent(this.env.id, event.id, event.event, JSON.stringify(event.data));
        fresh.push(event);
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
    this.cursor = cursor;
    this.snapshot = snapshot;
    this.recent.push(...fresh);
    if (this.recent.length > MEMORY_EVENTS) this.recent.splice(0, this.recent.length - MEMORY_EVENTS);
    if (gone) this.finished = true;
    for (const event of fresh) this.broadcast(event);
    if (!before || linksChanged(before, snapshot)) {
      for (const sub of this.subscribers) this.deliver(sub, { id: this.seq, event: "snapshot", data: sub.view(snapshot) });
    }
    this.onSnapshot(this.env.id, snapshot);
  }

  private broadcast(event: StreamEvent): void {
    for (const sub of this.subscribers) this.deliver(sub, event);
  }

  private deliver(sub: Subscriber, event: StreamEvent): void {
    if (sub.send(event)) return;
    this.subscribers.delete(sub);
    sub.close("This browser fell too far behind and was disconnected; it will reconnect and resume.");
  }
}
