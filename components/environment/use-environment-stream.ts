"use client";

import { useEffect, useReducer } from "react";
import type { EnvironmentSnapshot, TaskState } from "@/lib/providers/types";

export interface LogLine {
  id: number;
  at: string;
  task: string;
  role: string;
  text: string;
}

export interface StackEvent {
  id: number;
  at: string;
  resource: string;
  status: string;
  reason?: string;
}

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

export interface StreamState {
  status: string;
  reason?: string;
  progress: { done: number; total: number };
  desiredWorkers: number;
  tasks: Record<string, TaskState>;
  links: EnvironmentSnapshot["links"];
  logs: LogLine[];
  stackEvents: StackEvent[];
  degraded: string | null;
  connection: Connection;
}

const MAX_LINES = 5_000;

type Action =
  | { type: "event"; name: string; id: number; data: unknown }
  | { type: "connection"; value: Connection };

function reduce(state: StreamState, action: Action): StreamState {
  if (action.type === "connection") return { ...state, connection: action.value };
  const { name, id, data } = action;
  switch (name) {
    case "snapshot": {
      const s = data as EnvironmentSnapshot;
      return {
        ...state,
        status: s.status,
        reason: s.reason,
        progress: s.progress,
        desiredWorkers: s.desiredWorkers,
        tasks: Object.fromEntries(s.tasks.map((t) => [t.id, t])),
        links: s.links,
        degraded: s.degraded ?? null,
      };
    }
    case "status": {
      const d = data as { status: string; reason?: string };
      return { ...state, status: d.status, reason: d.reason };
    }
    case "progress":
      return { ...state, progress: data as StreamState["progress"] };
    case "scale":
      return { ...state, desiredWorkers: (data as { desiredWorkers: number }).desiredWorkers };
    case "task": {
      const t = data as TaskState;
      return { ...state, tasks: { ...state.tasks, [t.id]: t } };
    }
    case "degraded":
      return { ...state, degraded: (data as { message: string | null }).message };
    case "log": {
      const line = { id, ...(data as Omit<LogLine, "id">) };
      const logs = state.logs.length >= MAX_LINES ? [...state.logs.slice(-MAX_LINES + 1), line] : [...state.logs, line];
      return { ...state, logs };
    }
    case "stack-event": {
      const e = { id, ...(data as Omit<StackEvent, "id">) };
      return { ...state, stackEvents: [...state.stackEvents.slice(-199), e] };
    }
    default:
      return state;
  }
}

const EVENT_NAMES = ["snapshot", "status", "progress", "scale", "task", "degraded", "log", "stack-event"];

/** Follows /api/environments/[id]/events; EventSource resumes with Last-Event-ID by itself. */
export function useEnvironmentStream(envId: string, initialStatus: string): StreamState {
  const [state, dispatch] = useReducer(reduce, {
    status: initialStatus,
    progress: { done: 0, total: 0 },
    desiredWorkers: 0,
    tasks: {},
    links: {},
    logs: [],
    stackEvents: [],
    degraded: null,
    connection: "connecting",
  });

  useEffect(() => {
    const source = new EventSource(`/api/environments/${envId}/events`);
    const seen = { last: 0 };
    const handler = (name: string) => (e: MessageEvent<string>) => {
      const id = Number(e.lastEventId);
      // Log lines are numbered once; never show one twice, whatever the network did.
      if (name === "log" || name === "stack-event") {
        if (id <= seen.last) return;
        seen.last = id;
      }
      dispatch({ type: "event", name, id, data: JSON.parse(e.data) });
    };
    for (const name of EVENT_NAMES) source.addEventListener(name, handler(name) as EventListener);
    source.onopen = () => dispatch({ type: "connection", value: "live" });
    source.onerror = () =>
      dispatch({ type: "connection", value: source.readyState === EventSource.CLOSED ? "closed" : "reconnecting" });
    return () => source.close();
  }, [envId]);

  return state;
}
