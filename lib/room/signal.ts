import "server-only";
import { EventEmitter } from "node:events";
import type { HelpStatus } from "@/lib/stream/protocol";

/** Things that happen in the room that live pages must hear about, beyond environment snapshots. */
export type RoomEvent =
  | { kind: "attendee"; attendeeId: string }
  | { kind: "announcement"; id: number; message: string; createdAt: string }
  | { kind: "hint"; id: number; message: string; createdAt: string; to: string[] }
  | { kind: "help"; attendeeId: string; id: number; status: HelpStatus }
  | { kind: "event-settings" };

/** The room's news within this process: the facilitator's stream and the attendees' pages listen. */
export class RoomSignal {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  emit(event: RoomEvent): void {
    this.emitter.emit("room", event);
  }

  /** Something on this attendee's roster row changed (progress, a check, activity). */
  attendeeChanged(attendeeId: string): void {
    this.emit({ kind: "attendee", attendeeId });
  }

  on(listener: (event: RoomEvent) => void): () => void {
    this.emitter.on("room", listener);
    return () => this.emitter.off("room", listener);
  }
}
