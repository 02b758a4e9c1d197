import "server-only";
import { getEnvironment, listLiveEnvironments } from "@/lib/db/queries";
import { costSamples, listHelpQueue } from "@/lib/db/room-queries";
import type { EnvironmentSnapshot } from "@/lib/providers/types";
import type { Subscriber } from "@/lib/stream/environment-stream";
import { getHub, type StreamHub } from "@/lib/stream/hub";
import { onRoomEvent, type RoomEvent } from "@/lib/stream/room-signal";
import type { StreamEvent } from "@/lib/stream/sse";
import { buildRoster } from "./roster";

const FLUSH_MS = 1_000;
const KEEP = 2_000;

export interface RoomSink {
  send(event: StreamEvent): boolean;
  close(reason: string): void;
}

/**
 * The facilitator's one aggregated stream: roster rows for attendees whose state changed
 * (batched each second), the help queue, announcements. However many environments the
 * room has, each facilitator tab holds one connection, and environments are polled once.
 */
export class RoomStream {
  private seq = 0;
  private recent: StreamEvent[] = [];
  private sinks = new Set<RoomSink>();
  private dirty = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private attendeeOfEnv = new Map<string, string>();
  private watched = new Map<string, () => void>();
  /** Each attendee's roster row as last sent, so an unchanged row is not sent again. */
  private sentRows = new Map<string, string>();

  constructor(private readonly hub: StreamHub) {
    hub.onSnapshot((envId) => this.environmentChanged(envId));
    onRoomEvent((event) => this.roomEvent(event));
  }

  subscribe(sink: RoomSink, lastEventId: number | null): () => void {
    // Resume only from ids this process issued; after a restart the browser gets a fresh snapshot.
    const canResume =
      lastEventId !== null && lastEventId <= this.seq && (this.recent[0]?.id ?? Infinity) <= lastEventId + 1;
    if (canResume) {
      for (const event of this.recent.filter((e) => e.id > lastEventId)) sink.send(event);
    } else {
      sink.send({ id: this.seq, event: "snapshot", data: this.fullState() });
    }
    this.sinks.add(sink);
    this.watchLiveEnvironments();
    return () => {
      this.sinks.delete(sink);
      if (this.sinks.size === 0) this.unwatchAll();
    };
  }

  private fullState() {
    return {
      // sentRows is left alone: it is what the sinks already connected were sent.
      rows: buildRoster((id) => this.snapshotOf(id)),
      help: listHelpQueue(),
      cost: costSamples(),
    };
  }

  private snapshotOf(envId: string): EnvironmentSnapshot | null {
    return this.hub.peek(envId)?.lastSnapshot ?? null;
  }

  /** While a facilitator watches, every live environment is watched too (at its settled pace). */
  private watchLiveEnvironments(): void {
    if (this.sinks.size === 0) return;
    for (const row of listLiveEnvironments()) {
      if (this.watched.has(row.id)) continue;
      const quiet: Subscriber = { send: () => true, view: (s) => s, close: () => this.watched.delete(row.id) };
      this.watched.set(row.id, this.hub.stream(row).subscribe(quiet, Number.MAX_SAFE_INTEGER));
    }
  }

  private unwatchAll(): void {
    for (const stop of this.watched.values()) stop();
    this.watched.clear();
  }

  private environmentChanged(envId: string): void {
    let attendeeId = this.attendeeOfEnv.get(envId);
    if (!attendeeId) {
      attendeeId = getEnvironment(envId)?.attendeeId;
      if (!attendeeId) return;
      this.attendeeOfEnv.set(envId, attendeeId);
    }
    this.markDirty(attendeeId);
  }

  private roomEvent(event: RoomEvent): void {
    if (event.kind === "attendee") {
      this.markDirty(event.attendeeId);
      this.watchLiveEnvironments();
    } else if (event.kind === "help") {
      this.markDirty(event.attendeeId);
      this.emit("help", { queue: listHelpQueue() });
    } else if (event.kind === "announcement") {
      this.emit("announcement", { id: event.id, message: event.message, createdAt: event.createdAt });
    } else {
      this.emit("event-settings", {});
    }
  }

  private markDirty(attendeeId: string): void {
    this.dirty.add(attendeeId);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.dirty.size === 0 || this.sinks.size === 0) {
      this.dirty.clear();
      return;
    }
    // Most snapshots in a busy room carry log lines only: the row they would send is the same.
    const rows = buildRoster((id) => this.snapshotOf(id), this.dirty).filter((row) => {
      const text = JSON.stringify(row);
      if (this.sentRows.get(row.attendeeId) === text) return false;
      this.sentRows.set(row.attendeeId, text);
      return true;
    });
    this.dirty.clear();
    if (rows.length) this.emit("roster", { rows });
  }

  /** Room-wide figures that change on their own clock (cost samples). */
  publishCost(): void {
    if (this.sinks.size) this.emit("cost", { cost: costSamples() });
  }

  private emit(event: string, data: unknown): void {
    const e = { id: ++this.seq, event, data };
    this.recent.push(e);
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
    for (const sink of this.sinks) {
      if (!sink.send(e)) {
        this.sinks.delete(sink);
        sink.close("This dashboard fell too far behind; it will reconnect.");
      }
    }
  }
}

const holder = globalThis as unknown as { __roomStream?: RoomStream };

export function getRoomStream(): RoomStream {
  holder.__roomStream ??= new RoomStream(getHub());
  return holder.__roomStream;
}
