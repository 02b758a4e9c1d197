import type { NotebookSummary } from "./summary";

// What a dress rehearsal is and shows: its phases in order, each timed, and how it ended.
// Shared by the orchestration, the report, the live stream and the facilitator's card.

/** The identity the rehearsal's stack is tagged with; reconciliation leaves such stacks to the rehearsal. */
export const REHEARSAL_ATTENDEE_ID = "rehearsal";

export const phaseLabels = {
  stack: "Stack create",
  tasks: "Tasks running",
  notebook: "Notebook",
  teardown: "Teardown",
} as const;
export type PhaseName = keyof typeof phaseLabels;
export const phaseOrder = Object.keys(phaseLabels) as PhaseName[];

export interface RehearsalPhase {
  name: PhaseName;
  label: string;
  /** skipped: an earlier phase failed, so this one never ran (teardown always runs). */
  status: "pending" | "running" | "done" | "failed" | "skipped";
  startedAt?: string;
  endedAt?: string;
  seconds?: number;
  /** What happened, in a few words (or why it failed). */
  detail?: string;
}

export interface RehearsalFailure {
  phase: PhaseName;
  reason: string;
  /** The notebook task's exit code and the platform's reason it stopped (ECS stoppedReason). */
  exitCode?: number | null;
  stoppedReason?: string;
}

export interface RehearsalCost {
  unit: "usd" | "cpu-seconds";
  /** The rehearsal environment over its whole life (stack create to teardown). */
  environment: number;
  /** The one-off notebook task (AWS); 0 locally, where the kernel is the portal machine's. */
  notebookTask: number;
  total: number;
  /** The price table used (usd only). */
  prices?: string;
}

export interface RehearsalView {
  id: string;
  status: "running" | "passed" | "failed";
  startedAt: string;
  finishedAt?: string;
  startedBy: string;
  provider: string;
  stackName: string;
  /** The ERA5 months the notebook read (YYYYMM). */
  months: string[];
  phases: RehearsalPhase[];
  failure?: RehearsalFailure;
  summary?: NotebookSummary;
  cost?: RehearsalCost;
  /** The slowest pull of the room's image among the rehearsal's tasks; null when the platform reported none. */
  imagePull?: { seconds: number; role: string } | null;
  /** Where the report was written (under <PORTAL_DATA_DIR>/rehearsals/). */
  reportPath?: string;
}

export function freshPhases(): RehearsalPhase[] {
  return phaseOrder.map((name) => ({ name, label: phaseLabels[name], status: "pending" }));
}

/** What the facilitator's rehearsal card shows. */
export interface RehearsalCard {
  /** The rehearsal under way, or the last one this process ran. */
  current: RehearsalView | null;
  /** The newest report written (by this portal or `make aws-rehearsal`). */
  latestReport: { startedAt: string; status: string; markdown: string } | null;
  /** Whether this provider can rehearse; otherwise `message` says what can. */
  available: boolean;
  message?: string;
}
