import "server-only";
import { announcementsFor, openHelpRequestOf } from "@/lib/db/room-queries";
import { Channel, type Sink } from "@/lib/stream/channel";
import type { AttendeeEvents } from "@/lib/stream/protocol";
import { eventInfo } from "./event";
import type { RoomSignal } from "./signal";

/** Announcements shown to a page that opens: those of the last twelve hours. */
const RECENT_MS = 12 * 60 * 60 * 1000;

export type AttendeeSink = Sink<AttendeeEvents> & { key: string };

/**
 * What every attendee page listens to: announcements, the event's times, and what is
 * theirs alone (sent to that attendee only): their help request's state and the hints the
 * facilitator sent them. One connection per tab, no
 * polling behind it.
 */
export class AttendeeChannel {
  private readonly channel = new Channel<AttendeeEvents>({ keep: 200, dropReason: "This page fell too far behind; it will reconnect." });

  constructor(
    signal: RoomSignal,
    private readonly eventName: string,
  ) {
    signal.on((event) => {
      if (event.kind === "announcement") {
        this.channel.publish([{ event: "announcement", data: { id: event.id, message: event.message, createdAt: event.createdAt } }]);
      } else if (event.kind === "hint") {
        const hint = { id: event.id, message: event.message, createdAt: event.createdAt, hint: true } as const;
        for (const attendeeId of event.to) this.channel.publish([{ event: "announcement", data: hint }], { to: attendeeId });
      } else if (event.kind === "event-settings") {
        this.channel.publish([{ event: "event", data: eventInfo(this.eventName) }]);
      } else if (event.kind === "help") {
        this.channel.publish([{ event: "help", data: { id: event.id, status: event.status } }], { to: event.attendeeId });
      }
    });
  }

  /** `key` is the attendee's id: help news for them reaches only their pages. */
  subscribe(sink: AttendeeSink, lastEventId: number | null): () => void {
    return this.channel.subscribe(sink, lastEventId, () => {
      const help = openHelpRequestOf(sink.key);
      return [
        {
          event: "hello",
          data: {
            event: eventInfo(this.eventName),
            help: help ? { id: help.id, status: help.status } : null,
            announcements: announcementsFor(sink.key, new Date(Date.now() - RECENT_MS).toISOString()).map((a) => ({
              id: a.id,
              message: a.message,
              createdAt: a.createdAt,
              ...(a.kind === "hint" ? { hint: true as const } : {}),
            })),
          },
        },
      ];
    });
  }
}
