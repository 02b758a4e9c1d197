import type { DiagnosisCode, EnvironmentDiagnosis } from "@/lib/diagnosis/codes";
import type { EnvironmentCaps, EnvironmentSnapshot, ImageBuildLogLine, ImageBuildView, RoomImage, TaskRole, TaskState } from "@/lib/providers/contract";
import type { RehearsalCard, RehearsalView } from "@/lib/rehearsal/phases";
import type { EnvironmentState, StackStatus } from "@/lib/status";

// The live streams' protocol, shared by the server that sends it and the browser that
// reads it: for each stream, every event name and the JSON its `data:` carries. Frames
// are numbered (`id:`) per stream; "state" events describe the whole current state and
// carry the newest id without taking a number of their own.

/** A stream's events: name → payload. */
export type Protocol = object;

export type FrameOf<P extends Protocol> = { [K in keyof P & string]: { id: number; event: K; data: P[K] } }[keyof P & string];
export type UnnumberedFrame<P extends Protocol> = { [K in keyof P & string]: { event: K; data: P[K] } }[keyof P & string];

export interface StreamSpec<P extends Protocol> {
  /** Every event the server may send. */
  events: readonly (keyof P & string)[];
  /** Events that replace what the page shows rather than adding to it: never skipped as already seen. */
  state: readonly (keyof P & string)[];
}

/** Sent (as a plain SSE event, no id) just before the server closes a stream it had to drop. */
export const DROPPED = "dropped";

/**
 * Sent (as a plain SSE event, no id, `data: { reason }`) just before the server closes a
 * stream whose viewer is no longer signed in (their session was revoked or ended). The
 * page goes to the sign-in page rather than reconnect.
 */
export const SIGNED_OUT = "signed-out";

/**
 * What a reconnecting page missed and can no longer get (memory and storage have let
 * those frames go): ids `missedFrom` to `missedTo`, both included. Sent with id
 * `missedTo`, before the fresh greeting, so the page can say so instead of skipping.
 */
export interface Gap {
  missedFrom: number;
  missedTo: number;
}

// ---- one environment: /api/environments/<id>/events

export interface LogLine {
  at: string;
  task: string;
  role: TaskRole;
  text: string;
}

export interface StackEventLine {
  at: string;
  resource: string;
  status: string;
  reason?: string;
}

export interface EnvironmentEvents {
  snapshot: EnvironmentSnapshot;
  status: { status: StackStatus; reason?: string };
  progress: { done: number; total: number };
  scale: { desiredWorkers: number };
  task: TaskState;
  degraded: { message: string | null };
  /** What the environment may use, and the last time its memory cap stopped something (local provider). */
  caps: { caps: EnvironmentCaps | null };
  log: LogLine;
  "stack-event": StackEventLine;
  /** The environment's latest failure, diagnosed (lib/diagnosis); null once dismissed. */
  diagnosis: EnvironmentDiagnosis | null;
  /** Log lines and stack events between the page's last id and the greeting are gone. */
  gap: Gap;
}

export const environmentStream: StreamSpec<EnvironmentEvents> = {
  events: ["snapshot", "status", "progress", "scale", "task", "degraded", "caps", "log", "stack-event", "diagnosis", "gap"],
  state: ["snapshot"],
};

export const environmentEventsPath = (envId: string) => `/api/environments/${envId}/events`;

// ---- the facilitator's room: /api/facilitator/events

export type HelpStatus = "open" | "coming" | "resolved";

export interface RosterRow {
  attendeeId: string;
  name: string;
  email: string;
  currentLab: string | null;
  checksPassed: number;
  envId: string | null;
  envStatus: EnvironmentState;
  envDeletedAt: string | null;
  workersRunning: number;
  lastError: string | null;
  /** Use so far, in the provider's unit (RoomView.usageUnit). */
  usage: number;
  lastActivity: string;
  help: "open" | "coming" | null;
  /** The live cluster's newest progress line (docker/workshop_progress.py), if it wrote one. */
  progress: { tasks: number; bytes: number; workers: number } | null;
  /** The pins the live cluster's image was built from, when they are not the portal's own. */
  otherPins: string | null;
  /** The cause the attendee's environment shows now (lib/diagnosis), if any. */
  diagnosis: { code: DiagnosisCode; at: string } | null;
  /** When the attendee first opened each lab, and when they finished it: their pace. */
  labs: Record<string, { startedAt: string | null; doneAt: string | null }>;
  /** The newest sign of progress: a lab opened or finished, a check passed (else when they joined). */
  lastProgressAt: string;
}

export interface HelpItem {
  id: number;
  attendeeId: string;
  name: string;
  email: string;
  message: string;
  status: HelpStatus;
  createdAt: string;
  /** The cause the attendee's environment showed when they asked. */
  diagnosis: DiagnosisCode | null;
}

export interface CostSample {
  at: string;
  total: number;
}

export interface Announcement {
  id: number;
  message: string;
  createdAt: string;
  /** A hint the facilitator sent to this attendee alone or to everyone on their lab. */
  hint?: true;
}

export interface RoomView {
  rows: RosterRow[];
  help: HelpItem[];
  cost: CostSample[];
}

export interface RoomEvents {
  snapshot: RoomView;
  roster: { rows: RosterRow[] };
  help: { queue: HelpItem[] };
  cost: { cost: CostSample[] };
  /** Each attendee's use so far, sent with the cost samples (a row is not re-sent for its use alone). */
  usage: { byAttendee: Record<string, number> };
  announcement: Announcement;
  "event-settings": Record<string, never>;
}

export const roomStream: StreamSpec<RoomEvents> = {
  events: ["snapshot", "roster", "help", "cost", "usage", "announcement", "event-settings"],
  state: ["snapshot"],
};

export const roomEventsPath = "/api/facilitator/events";

// ---- every attendee page: /api/attendee/events

export interface EventInfo {
  name: string;
  startsAt: string | null;
  endsAt: string | null;
  endedAt: string | null;
}

export type HelpState = { id: number; status: HelpStatus } | null;

export interface AttendeeEvents {
  hello: { event: EventInfo; help: HelpState; announcements: Announcement[] };
  announcement: Announcement;
  event: EventInfo;
  help: HelpState;
}

export const attendeeStream: StreamSpec<AttendeeEvents> = {
  events: ["hello", "announcement", "event", "help"],
  state: ["hello", "event", "help"],
};

export const attendeeEventsPath = "/api/attendee/events";

// ---- the room's image build, for the facilitator: /api/facilitator/image-build/events

export interface ImageBuildEvents {
  /** The room's image as the provider reads it now (replaces what the card shows). */
  snapshot: RoomImage;
  /** The followed build changed (a phase began or ended, or it finished). */
  build: ImageBuildView;
  /** A line of the followed build's log. */
  log: ImageBuildLogLine & { build: string };
  /** The provider could not be read; null once it answers again. */
  degraded: { message: string | null };
}

export const imageBuildStream: StreamSpec<ImageBuildEvents> = {
  events: ["snapshot", "build", "log", "degraded"],
  state: ["snapshot"],
};

export const imageBuildEventsPath = "/api/facilitator/image-build/events";

// ---- the dress rehearsal, for the facilitator: /api/facilitator/rehearsal/events

export interface RehearsalEvents {
  /** The card as it stands: the rehearsal under way (if any), the newest report, whether one can start. */
  snapshot: RehearsalCard;
  /** The running rehearsal changed (a phase began or ended, or it finished). */
  rehearsal: RehearsalView;
  /** A line of the notebook run's log. */
  log: { at: string; text: string; key: string; rehearsal: string };
}

export const rehearsalStream: StreamSpec<RehearsalEvents> = {
  events: ["snapshot", "rehearsal", "log"],
  state: ["snapshot"],
};

export const rehearsalEventsPath = "/api/facilitator/rehearsal/events";
