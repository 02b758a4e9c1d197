import "server-only";
import { getEnvironment, listLiveEnvironments } from "@/lib/db/environment-queries";
import { costSamples, listHelpQueue } from "@/lib/db/room-queries";
import type { UsageUnit } from "@/lib/providers/contract";
import { Channel, type Sink } from "@/lib/stream/channel";
import type { Watchers } from "@/lib/environments/watchers";
import type { RoomEvents, RoomView, RosterRow } from "@/lib/stream/protocol";
import { portalPins } from "@/lib/image/pins";
import { buildRoster, type RosterSources } from "./roster";
import type { RoomEvent, RoomSignal } from "./signal";

const FLUSH_MS = 1_000;
const KEEP = 2_000;

export type RoomSink = Sink<RoomEvents>;

/** A row as the roster compares it. Use grows with every snapshot; it goes out with the cost samples (publishCost) instead. */
function rowText(row: RosterRow): string {
  return JSON.stringify({ ...row, usage: null });
}

/**
 * The facilitator's one aggregated stream: roster rows for attendees whose state changed
 * (batched each second), the help queue, announcements, cost samples. However many
 * environments the room has, each facilitator tab holds one connection, and each
 * environment is polled once.
 */
export class RoomStream {
  private readonly channel = new Channel<RoomEvents>({ keep: KEEP, dropReason: "This dashboard fell too far behind; it will reconnect." });
  private dirty = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private attendeeOfEnv = new Map<string, string>();
  private followed = new Map<string, () => void>();
  /** Each attendee's roster row as last sent, so an unchanged row is not sent again. */
  private sentRows = new Map<string, string>();

  constructor(
    private readonly watchers: Watchers,
    signal: RoomSignal,
    private readonly unit: UsageUnit,
  ) {
    watchers.onSnapshot((envId) => this.environmentChanged(envId));
    signal.on((event) => this.roomEvent(event));
  }

  private readonly sources: RosterSources = {
    snapshotOf: (id) => this.watchers.lastSnapshot(id),
    progressOf: (id) => this.watchers.progressOf(id),
    portalPins: portalPins(),
  };

  /** The whole room as the facilitator's page first shows it. */
  view(): RoomView {
    return {
      rows: buildRoster(this.sources, this.unit),
      help: listHelpQueue(),
      cost: costSamples(),
    };
  }

  subscribe(sink: RoomSink, lastEventId: number | null): () => void {
    const alone = this.channel.subscribers === 0;
    const unsubscribe = this.channel.subscribe(sink, lastEventId, () => {
      const view = this.view();
      // The only tab holds every row as the greeting has it: the first polls of the environments
      // it makes the portal follow find the same rows and need not send 500 of them again. With
      // other tabs connected, sentRows stays what they were sent.
      if (alone) for (const row of view.rows) this.sentRows.set(row.attendeeId, rowText(row));
      return [{ event: "snapshot", data: view }];
    });
    // Rows that changed while no tab was connected (kept in dirty) go to one that resumes.
    if (this.dirty.size) this.scheduleFlush();
    this.followLiveEnvironments();
    return () => {
      unsubscribe();
      if (this.channel.subscribers === 0) this.unfollowAll();
    };
  }

  /**
   * Room-wide figures that change on their own clock: the cost samples, and each attendee's
   * use, which grows with every snapshot but is worth sending only this often.
   */
  publishCost(): void {
    if (!this.channel.subscribers) return;
    const rows = buildRoster(this.sources, this.unit);
    const byAttendee = Object.fromEntries(rows.map((r) => [r.attendeeId, r.usage]));
    this.channel.publish([
      { event: "cost", data: { cost: costSamples() } },
      { event: "usage", data: { byAttendee } },
    ]);
  }

  /** While a facilitator watches, every live environment is followed too (at its settled pace). */
  private followLiveEnvironments(): void {
    if (this.channel.subscribers === 0) return;
    for (const row of listLiveEnvironments()) {
      if (this.followed.has(row.id)) continue;
      this.followed.set(row.id, this.watchers.watch(row).follow(() => this.followed.delete(row.id)));
    }
  }

  private unfollowAll(): void {
    for (const stop of this.followed.values()) stop();
    this.followed.clear();
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
      this.followLiveEnvironments();
    } else if (event.kind === "help") {
      this.markDirty(event.attendeeId);
      this.channel.publish([{ event: "help", data: { queue: listHelpQueue() } }]);
    } else if (event.kind === "announcement") {
      this.channel.publish([{ event: "announcement", data: { id: event.id, message: event.message, createdAt: event.createdAt } }]);
    } else if (event.kind === "event-settings") {
      this.channel.publish([{ event: "event-settings", data: {} }]);
    }
  }

  private markDirty(attendeeId: string): void {
    this.dirty.add(attendeeId);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  private flush(): void {
    this.flushTimer = undefined;
    // With nobody connected the changed rows wait: a tab that resumes from its last event
    // would otherwise never hear of them (its replay holds only what was published).
    if (this.dirty.size === 0 || this.channel.subscribers === 0) return;
    // Most snapshots in a busy room carry log lines only: the row they would send is the same.
    const rows = buildRoster(this.sources, this.unit, this.dirty).filter((row) => {
      const text = rowText(row);
      if (this.sentRows.get(row.attendeeId) === text) return false;
      this.sentRows.set(row.attendeeId, text);
      return true;
    });
    this.dirty.clear();
    if (rows.length) this.channel.publish([{ event: "roster", data: { rows } }]);
  }
}
