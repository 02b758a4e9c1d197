import type { EnvironmentRef, TaskState } from "./core";

// The dress rehearsal (lib/rehearsal): the workshop notebook, run headless against one
// environment (capability `rehearsal`).

/** What the rehearsal's notebook run reads: one month of ERA5 by default. */
export interface NotebookRunOptions {
  years: number[];
  months: number[];
  /** Each line the run prints, as it comes (the notebook's own output and the runner's). */
  onLog(line: { at: string; text: string; key: string }): void;
  /** Fails the run (and stops what it started) once this long has passed. */
  timeoutMs: number;
}

/** How the run ended, in the platform's words: an ECS task's exit code and stoppedReason, or a process's. */
export interface NotebookRun {
  ok: boolean;
  exitCode: number | null;
  /** Why it stopped, when it did not end well (ECS stoppedReason, a signal, the timeout). */
  stoppedReason?: string;
  /** The task (or process) that ran it, for the rehearsal's cost: size and start/stop times. */
  task?: TaskState;
}

/** Runs the workshop notebook headless against an environment's scheduler (local: papermill from .venv; aws: a one-off ECS task). */
export interface RehearsalTools {
  runNotebook(env: EnvironmentRef, options: NotebookRunOptions): Promise<NotebookRun>;
}
