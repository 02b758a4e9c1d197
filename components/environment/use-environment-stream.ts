"use client";

import { useReducer } from "react";
import { useEventStream, type Connection } from "@/components/stream/use-event-stream";
import type { EnvironmentDiagnosis } from "@/lib/diagnosis/codes";
import { progressOfLogLine, type ClusterProgress } from "@/lib/labs/progress-line";
import type { EnvironmentCaps, EnvironmentLinks, TaskState } from "@/lib/providers/contract";
import { environmentEventsPath, environmentStream, type EnvironmentEvents, type Gap, type LogLine as StreamLogLine, type StackEventLine } from "@/lib/stream/protocol";

/** A log line, or the mark where lines the server no longer holds are missing. */
export type LogLine = (StreamLogLine & { id: number; gap?: undefined }) | { id: number; gap: Gap };
export type StackEvent = StackEventLine & { id: number };

export interface EnvironmentState {
  status: string;
  reason?: string;
  progress: { done: number; total: number };
  desiredWorkers: number;
  tasks: Record<string, TaskState>;
  links: EnvironmentLinks;
  logs: LogLine[];
  stackEvents: StackEvent[];
  degraded: string | null;
  /** What the environment may use, and when its memory cap last stopped something. */
  caps: EnvironmentCaps | null;
  /** The scheduler's newest progress line (docker/workshop_progress.py), as logged. */
  clusterProgress: ClusterProgress | null;
  /** The latest failure, diagnosed (lib/diagnosis). */
  diagnosis: EnvironmentDiagnosis | null;
}

const MAX_LINES = 5_000;

type Action = { [K in keyof EnvironmentEvents]: { event: K; data: EnvironmentEvents[K]; id: number } }[keyof EnvironmentEvents];

function reduce(state: EnvironmentState, action: Action): EnvironmentState {
  switch (action.event) {
    case "snapshot": {
      const s = action.data;
      return {
        ...state,
        status: s.status,
        reason: s.reason,
        progress: s.progress,
        desiredWorkers: s.desiredWorkers,
        tasks: Object.fromEntries(s.tasks.map((t) => [t.id, t])),
        links: s.links,
        degraded: s.degraded ?? null,
        caps: s.caps ?? null,
      };
    }
    case "status":
      return { ...state, status: action.data.status, reason: action.data.reason };
    case "progress":
      return { ...state, progress: action.data };
    case "scale":
      return { ...state, desiredWorkers: action.data.desiredWorkers };
    case "task":
      return { ...state, tasks: { ...state.tasks, [action.data.id]: action.data } };
    case "degraded":
      return { ...state, degraded: action.data.message };
    case "caps":
      return { ...state, caps: action.data.caps };
    case "log":
    case "gap": {
      const line: LogLine = action.event === "gap" ? { id: action.id, gap: action.data } : { id: action.id, ...action.data };
      const logs = state.logs.length >= MAX_LINES ? [...state.logs.slice(-MAX_LINES + 1), line] : [...state.logs, line];
      const progress = action.event === "log" ? progressOfLogLine(action.data) : null;
      return { ...state, logs, clusterProgress: progress ?? state.clusterProgress };
    }
    case "stack-event":
      return { ...state, stackEvents: [...state.stackEvents.slice(-199), { id: action.id, ...action.data }] };
    case "diagnosis":
      return { ...state, diagnosis: action.data };
  }
}

/** One environment, live: its stack, tasks, logs and stack events, from /api/environments/[id]/events. */
export function useEnvironmentStream(
  envId: string,
  initialStatus: string,
  initialProgress: ClusterProgress | null = null,
  initialDiagnosis: EnvironmentDiagnosis | null = null,
): EnvironmentState & { connection: Connection } {
  const [state, dispatch] = useReducer(reduce, {
    status: initialStatus,
    progress: { done: 0, total: 0 },
    desiredWorkers: 0,
    tasks: {},
    links: {},
    logs: [],
    stackEvents: [],
    degraded: null,
    caps: null,
    clusterProgress: initialProgress,
    diagnosis: initialDiagnosis,
  });
  const on = <K extends keyof EnvironmentEvents>(event: K) => (data: EnvironmentEvents[K], id: number) => dispatch({ event, data, id } as Action);
  const connection = useEventStream(environmentEventsPath(envId), environmentStream, {
    snapshot: on("snapshot"),
    status: on("status"),
    progress: on("progress"),
    scale: on("scale"),
    task: on("task"),
    degraded: on("degraded"),
    caps: on("caps"),
    log: on("log"),
    "stack-event": on("stack-event"),
    diagnosis: on("diagnosis"),
    gap: on("gap"),
  });
  return { ...state, connection };
}
