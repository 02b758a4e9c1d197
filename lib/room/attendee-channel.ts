import "server-only";
import { portalConfig } from "@/lib/config";
import { announcementsSince, getEventSettings, openHelpRequestOf } from "@/lib/db/room-queries";
import { onRoomEvent } from "@/lib/stream/room-signal";
import type { StreamEvent } from "@/lib/stream/sse";

interface Sink {
  attendeeId: string;
  send(event: StreamEvent): boolean;
  close(reason: string): void;
}

const RECENT_MS = 12 * 60 * 60 * 1000;

export function eventInfo() {
  const s = getEventSettings(portalConfig().EVENT_NAME);
  return { name: s.name, startsAt: s.startsAt, endsAt: s.endsAt, endedAt: s.endedAt };
}

/**
 * What every attendee page listens to: announcements, the event's end time, and the
 * state of their own help request. One connection per tab, no polling behind it.
 */
class AttendeeChannel {
  private seq = 0;
  private sinks = new Set<Sink>();

  constructor() {
    onRoomEvent((event) => {
      if (event.kind === "announcement") this.send(null, "announcement", { id: event.id, message: event.message, createdAt: event.createdAt });
      else if (event.kind === "event-settings") this.send(null, "event", eventInfo());
      else if (event.kind === "help") this.send(event.attendeeId, "help", { id: event.id, status: event.status });
    });
  }

  subscribe(sink: Sink): () => void {
    const help = openHelpRequestOf(sink.attendeeId);
    sink.send({
      id: this.seq,
      event: "hello",
      data: {
        event: eventInfo(),
        help: help ? { id: help.id, status: help.status } : null,
        announcements: announcementsSince(new Date(Date.now() - RECENT_MS).toISOString()),
      },
    });
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  private send(attendeeId: string | null, event: string, data: unknown): void {
    const e = { id: ++this.seq, event, data };
    for (const sink of this.sinks) {
      if (attendeeId && sink.attendeeId !== attendeeId) continue;
      if (!sink.send(e)) {
        this.sinks.delete(sink);
        sink.close("This page fell too far behind; it will reconnect.");
      }
    }
  }
}

const holder = globalThis as unknown as { __attendeeChannel?: AttendeeChannel };

export function getAttendeeChannel(): AttendeeChannel {
  holder.__attendeeChannel ??= new AttendeeChannel();
  return holder.__attendeeChannel;
}
