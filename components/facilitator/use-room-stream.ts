"use client";

import { useEffect, useReducer } from "react";
import type { RosterRow } from "@/lib/room/roster";

export interface HelpItem {
  id: number;
  attendeeId: string;
  name: string;
  email: string;
  message: string;
  status: "open" | "coming" | "resolved";
  createdAt: string;
}

export interface CostSample {
  at: string;
  total: number;
}

export interface RoomState {
  rows: Record<string, RosterRow>;
  help: HelpItem[];
  cost: CostSample[];
  connection: "connecting" | "live" | "reconnecting";
  lastAnnouncement: string | null;
}

type Action =
  | { type: "snapshot"; rows: RosterRow[]; help: HelpItem[]; cost: CostSample[] }
  | { type: "roster"; rows: RosterRow[] }
  | { type: "help"; queue: HelpItem[] }
  | { type: "cost"; cost: CostSample[] }
  | { type: "announcement"; message: string }
  | { type: "connection"; value: RoomState["connection"] };

function reduce(state: RoomState, action: Action): RoomState {
  switch (action.type) {
    case "snapshot":
      return { ...state, rows: Object.fromEntries(action.rows.map((r) => [r.attendeeId, r])), help: action.help, cost: action.cost };
    case "roster": {
      const rows = { ...state.rows };
      for (const r of action.rows) rows[r.attendeeId] = r;
      return { ...state, rows };
    }
    case "help":
      return { ...state, help: action.queue };
    case "cost":
      return { ...state, cost: action.cost };
    case "announcement":
      return { ...state, lastAnnouncement: action.message };
    case "connection":
      return { ...state, connection: action.value };
  }
}

/** The facilitator's one live connection for the whole room. */
export function useRoomStream(initial: { rows: RosterRow[]; help: HelpItem[]; cost: CostSample[] }): RoomState {
  const [state, dispatch] = useReducer(reduce, {
    rows: Object.fromEntries(initial.rows.map((r) => [r.attendeeId, r])),
    help: initial.help,
    cost: initial.cost,
    connection: "connecting",
    lastAnnouncement: null,
  });

  useEffect(() => {
    const source = new EventSource("/api/facilitator/events");
    const on = <T,>(name: string, fn: (data: T) => void) =>
      source.addEventListener(name, (e) => fn(JSON.parse((e as MessageEvent<string>).data) as T));
    on<{ rows: RosterRow[]; help: HelpItem[]; cost: CostSample[] }>("snapshot", (d) => dispatch({ type: "snapshot", ...d }));
    on<{ rows: RosterRow[] }>("roster", (d) => dispatch({ type: "roster", rows: d.rows }));
    on<{ queue: HelpItem[] }>("help", (d) => dispatch({ type: "help", queue: d.queue }));
    on<{ cost: CostSample[] }>("cost", (d) => dispatch({ type: "cost", cost: d.cost }));
    on<{ message: string }>("announcement", (d) => dispatch({ type: "announcement", message: d.message }));
    source.onopen = () => dispatch({ type: "connection", value: "live" });
    source.onerror = () => dispatch({ type: "connection", value: "reconnecting" });
    return () => source.close();
  }, []);

  return state;
}
