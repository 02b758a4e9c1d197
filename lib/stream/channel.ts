import type { FrameOf, Protocol, UnnumberedFrame } from "./protocol";

// One live channel: the only fan-out the portal has. It numbers what is published (the
// SSE `id:`), keeps the latest frames for a browser that reconnects with Last-Event-ID,
// hands a new subscriber either what it missed or a fresh greeting, and drops a
// subscriber that cannot keep up (it reconnects and resumes). The environment, room and
// attendee streams are each one of these.

export interface Sink<P extends Protocol> {
  /** False when the subscriber's buffer is full: it is dropped. */
  send(frame: FrameOf<P>): boolean;
  close(reason: string): void;
  /** Who this subscriber is, for frames meant for one person (publish's `to`). */
  key?: string;
}

/** A subscriber that takes frames of any stream (an SSE response). */
export interface AnySink {
  send(frame: { id: number; event: string; data: unknown }): boolean;
  close(reason: string): void;
}

export interface ChannelOptions<P extends Protocol> {
  /** Frames kept in memory for reconnects. */
  keep: number;
  /** The last id issued before this channel existed (a persisted stream goes on numbering). */
  lastId?: number;
  /** Frames after an id, from storage, when memory no longer holds them. */
  stored?: (afterId: number) => FrameOf<P>[];
  /** What a dropped subscriber is told. */
  dropReason: string;
}

type Kept<P extends Protocol> = FrameOf<P> & { to?: string };

export class Channel<P extends Protocol> {
  private seq: number;
  private recent: Kept<P>[] = [];
  private sinks = new Set<Sink<P>>();

  constructor(private readonly options: ChannelOptions<P>) {
    this.seq = options.lastId ?? 0;
  }

  /** The id of the newest frame published. */
  get lastId(): number {
    return this.seq;
  }

  get subscribers(): number {
    return this.sinks.size;
  }

  /**
   * Numbers the frames, lets `persist` store them (e.g. in the transaction that also saves
   * the cursor they came from), keeps and delivers them. `to` limits them to one key.
   */
  publish(frames: UnnumberedFrame<P>[], options: { to?: string; persist?: (numbered: FrameOf<P>[]) => void } = {}): FrameOf<P>[] {
    if (frames.length === 0) return [];
    const first = this.seq + 1;
    const numbered = frames.map((f, i) => ({ ...f, id: first + i }) as FrameOf<P>);
    options.persist?.(numbered);
    this.seq += numbered.length;
    const kept = numbered.map((f) => (options.to ? { ...f, to: options.to } : f) as Kept<P>);
    this.recent.push(...kept);
    if (this.recent.length > this.options.keep) this.recent.splice(0, this.recent.length - this.options.keep);
    for (const frame of kept) {
      for (const sink of this.sinks) if (!frame.to || frame.to === sink.key) this.deliver(sink, frame);
    }
    return numbered;
  }

  /** A frame that describes the current state rather than a change: sent with the newest id, never kept. */
  broadcastState(frame: UnnumberedFrame<P>): void {
    for (const sink of this.sinks) this.deliver(sink, { ...frame, id: this.seq } as FrameOf<P>);
  }

  /**
   * Frames after `afterId`, oldest first, from memory or storage; null when neither holds
   * all of them any more (or the id was never issued here, e.g. before a restart).
   */
  since(afterId: number, key?: string): FrameOf<P>[] | null {
    if (afterId > this.seq || afterId < 0) return null;
    if (afterId === this.seq) return [];
    const oldest = this.recent[0]?.id ?? Infinity;
    let frames: Kept<P>[];
    if (oldest <= afterId + 1) frames = this.recent.filter((f) => f.id > afterId);
    else if (this.options.stored) frames = this.options.stored(afterId);
    else return null;
    return frames.filter((f) => !f.to || f.to === key).map((f) => ({ id: f.id, event: f.event, data: f.data }) as FrameOf<P>);
  }

  /**
   * Adds a subscriber. It first gets what it missed after `lastEventId`, or, when that
   * cannot be told (no id, or one this channel cannot cover), `greet()`: frames of the
   * current state, sent with the newest id so a later reconnect resumes from there.
   * Runs synchronously, so nothing published can slip between the replay and the live feed.
   */
  subscribe(sink: Sink<P>, lastEventId: number | null, greet: () => (UnnumberedFrame<P> | FrameOf<P>)[]): () => void {
    const missed = lastEventId === null ? null : this.since(lastEventId, sink.key);
    const first = missed ?? greet().map((f) => ("id" in f ? f : ({ ...f, id: this.seq } as FrameOf<P>)));
    for (const frame of first) {
      if (!sink.send(frame)) {
        sink.close(this.options.dropReason);
        return () => {};
      }
    }
    this.sinks.add(sink);
    return () => {
      this.sinks.delete(sink);
    };
  }

  private deliver(sink: Sink<P>, frame: FrameOf<P>): void {
    if (sink.send(frame)) return;
    this.sinks.delete(sink);
    sink.close(this.options.dropReason);
  }
}
