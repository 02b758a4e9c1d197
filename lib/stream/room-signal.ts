import "server-only";
import { EventEmitter } from "node:events";

/** Things that happen in the room that live pages must hear about, beyond environment snapshots. */
export type RoomEvent =
  | { kind: "attendee"; attendeeId: string }
  | { kind: "announcement"; id: number; message: string; createdAt: string }
  | { kind: "help"; attendeeId: string; id: number; status: "open" | "coming" | "resolved" }
  | { kind: "event-settings" };

const holder = globalThis as unknown as { __roomSignal?: EventEmitter };
const emitter = (holder.__roomSignal ??= new EventEmitter().setMaxListeners(0));

export function emitRoomEvent(event: RoomEvent): void {
  emitter.emit("room", event);
}

/** Something about this attendee's roster row changed (progress, check, activity). */
export function roomChanged(attendeeId: string): void {
  emitRoomEvent({ kind: "attendee", attendeeId });
}

export function onRoomEvent(listener: (event: RoomEvent) => void): () => void {
  emitter.on("room", listener);
  return () => emitter.off("room", listener);
}
