import type { FrameOf, Gap, Protocol, UnnumberedFrame } from "./protocol";

// One live channel: the only fan-out the portal has. It numbers what is published (the
// SSE `id:`), keeps the latest frames for a browser that reconnects with Last-Event-ID
// (bounded in count and in bytes), hands a new subscriber either what it missed or a
// fresh greeting (with a gap marker when what it missed is gone), and drops a subscriber
// that cannot keep up (it reconnects and resumes). The environment, room and attendee
// streams are each one of these.

/** Bytes of frames a channel keeps in memory for reconnects unless told otherwise. */
export const KEEP_BYTES = 4 * 1024 * 1024;

/** About what a frame costs as SSE: its JSON payload and name. */
export function frameBytes(frame: { event: string; data: unknown }): number {
  return Buffer.byteLength(JSON.stringify(frame.data)) + frame.event.length + 32;
}

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
  /** Frames kept in memory for reconnects: at most this many… */
  keep: number;
  /** …and at most this many bytes of them (KEEP_BYTES by default). */
  keepBytes?: number;
  /** The last id issued before this channel existed (a persisted stream goes on numbering). */
  lastId?: number;
  /** Frames between two ids (both excluded), from storage, when memory no longer holds them. */
  stored?: (afterId: number, beforeId: number) => FrameOf<P>[];
  /**
   * The marker a reconnecting subscriber gets when what it missed is no longer held
   * anywhere, before its greeting. Without it such a subscriber is just greeted (fine for
   * streams whose greeting replaces everything the page shows).
   */
  gap?: (missed: Gap) => UnnumberedFrame<P>;
  /** What a dropped subscriber is told. */
  dropReason: string;
}

type Kept<P extends Protocol> = FrameOf<P> & { to?: string };

export class Channel<P extends Protocol> {
  private seq: number;
  private recent: { frame: Kept<P>; bytes: number }[] = [];
  private recentBytes = 0;
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
    this.remember(kept);
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
    const held = this.heldAfter(afterId);
    // Memory and storage must fill the whole stretch (ids are unique, so counting will do):
    // a hole (pruned, or longer than one read returns) is a gap, never a silent skip.
    if (held.length !== this.seq - afterId) return null;
    return this.visible(held, key);
  }

  /** The newest frames still held (at most `count`), oldest first, with no hole among them. */
  latest(count: number, key?: string): FrameOf<P>[] {
    const held = this.heldAfter(Math.max(0, this.seq - count));
    let start = held.length - 1;
    while (start > 0 && held[start - 1].id === held[start].id - 1) start--;
    return this.visible(held.slice(Math.max(0, start)), key);
  }

  /** Frames after `afterId` from memory, and before it from storage, oldest first (storage may have holes). */
  private heldAfter(afterId: number): Kept<P>[] {
    const inMemory = this.recent.map((r) => r.frame);
    const oldest = inMemory[0]?.id ?? this.seq + 1;
    if (oldest <= afterId + 1) return inMemory.filter((f) => f.id > afterId);
    return [...(this.options.stored?.(afterId, oldest) ?? []), ...inMemory];
  }

  private visible(frames: Kept<P>[], key?: string): FrameOf<P>[] {
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
    const first = missed ?? this.greeting(lastEventId, greet());
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

  /**
   * The greeting, preceded by a gap marker when the subscriber had seen up to an id this
   * channel issued but can no longer cover. The marker carries the last id it stands for,
   * so a reconnect right after it resumes from there.
   */
  private greeting(lastEventId: number | null, frames: (UnnumberedFrame<P> | FrameOf<P>)[]): FrameOf<P>[] {
    const replayed = frames.flatMap((f) => ("id" in f ? [f.id] : []));
    const greeting = frames.map((f) => ("id" in f ? f : ({ ...f, id: this.seq } as FrameOf<P>)));
    if (lastEventId === null || lastEventId < 0 || lastEventId >= this.seq || !this.options.gap) return greeting;
    const missed = { missedFrom: lastEventId + 1, missedTo: (replayed.length ? Math.min(...replayed) : this.seq + 1) - 1 };
    if (missed.missedTo < missed.missedFrom) return greeting;
    return [{ ...this.options.gap(missed), id: missed.missedTo } as FrameOf<P>, ...greeting];
  }

  /** Keeps the newest frames for reconnects, within the count and the bytes allowed (always the newest one). */
  private remember(frames: Kept<P>[]): void {
    for (const frame of frames) {
      const bytes = frameBytes(frame);
      this.recent.push({ frame, bytes });
      this.recentBytes += bytes;
    }
    const maxBytes = this.options.keepBytes ?? KEEP_BYTES;
    let drop = 0;
    let bytes = this.recentBytes;
    while (this.recent.length - drop > 1 && (this.recent.length - drop > this.options.keep || bytes > maxBytes)) {
      bytes -= this.recent[drop].bytes;
      drop++;
    }
    if (drop) this.recent.splice(0, drop);
    this.recentBytes = bytes;
  }

  private deliver(sink: Sink<P>, frame: FrameOf<P>): void {
    if (sink.send(frame)) return;
    this.sinks.delete(sink);
    sink.close(this.options.dropReason);
  }
}
