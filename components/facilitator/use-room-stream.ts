"use client";

import { useReducer } from "react";
import { useEventStream, type Connection } from "@/components/stream/use-event-stream";
import { roomEventsPath, roomStream, type CostSample, type HelpItem, type RoomView, type RosterRow } from "@/lib/stream/protocol";

export interface RoomState {
  rows: Record<string, RosterRow>;
  help: HelpItem[];
  cost: CostSample[];
}

type Action =
  | { type: "snapshot"; view: RoomView }
  | { type: "roster"; rows: RosterRow[] }
  | { type: "help"; queue: HelpItem[] }
  | { type: "cost"; cost: CostSample[] }
  | { type: "usage"; byAttendee: Record<string, number> };

const byAttendee = (rows: RosterRow[]) => Object.fromEntries(rows.map((r) => [r.attendeeId, r]));

function reduce(state: RoomState, action: Action): RoomState {
  switch (action.type) {
    case "snapshot":
      return { rows: byAttendee(action.view.rows), help: action.view.help, cost: action.view.cost };
    case "roster":
      return { ...state, rows: { ...state.rows, ...byAttendee(action.rows) } };
    case "help":
      return { ...state, help: action.queue };
    case "cost":
      return { ...state, cost: action.cost };
    case "usage": {
      const rows = { ...state.rows };
      for (const [id, usage] of Object.entries(action.byAttendee)) if (rows[id]) rows[id] = { ...rows[id], usage };
      return { ...state, rows };
    }
  }
}

/** The facilitator's one live connection for the whole room. */
export function useRoomStream(initial: RoomView): RoomState & { connection: Connection } {
  const [state, dispatch] = useReducer(reduce, { rows: byAttendee(initial.rows), help: initial.help, cost: initial.cost });
  const connection = useEventStream(roomEventsPath, roomStream, {
    snapshot: (view) => dispatch({ type: "snapshot", view }),
    roster: ({ rows }) => dispatch({ type: "roster", rows }),
    help: ({ queue }) => dispatch({ type: "help", queue }),
    cost: ({ cost }) => dispatch({ type: "cost", cost }),
    usage: ({ byAttendee }) => dispatch({ type: "usage", byAttendee }),
  });
  return { ...state, connection };
}
