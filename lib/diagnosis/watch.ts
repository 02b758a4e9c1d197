import "server-only";
import { currentDiagnosisOf } from "@/lib/db/diagnosis-queries";
import type { DiagnosisRow } from "@/lib/db/schema";
import type { EnvironmentEvents, UnnumberedFrame } from "@/lib/stream/protocol";
import { isFailed } from "@/lib/status";
import { diagnosisOf, diagnoseLine, isConsequence } from "./diagnose";
import { isDiagnosisCode, type EnvironmentDiagnosis } from "./codes";
import { taskStopSignal } from "./signals";

// One environment's latest failure, kept up to date from the frames its stream produces:
// stack events, a failed stack's reason, stopped tasks and log lines.

/** A consequence (a task exit, lost workers, a rollback, a timeout) seen this soon after a cause is that cause's. */
export const EXPLAINED_MS = 10 * 60_000;

interface Signal {
  text: string;
  source: string;
  at: string;
}

function signalsOf(frames: UnnumberedFrame<EnvironmentEvents>[], at: string): Signal[] {
  const signals: Signal[] = [];
  const summaries: Signal[] = [];
  for (const frame of frames) {
    if (frame.event === "status" && frame.data.reason && isFailed(frame.data.status)) {
      summaries.push({ text: frame.data.reason, source: `stack ${frame.data.status}`, at });
    } else if (frame.event === "stack-event" && frame.data.reason) {
      signals.push({ text: frame.data.reason, source: `${frame.data.resource} ${frame.data.status}`, at: frame.data.at });
    } else if (frame.event === "task") {
      const text = taskStopSignal(frame.data);
      if (text) signals.push({ text, source: `${frame.data.role} task ${frame.data.id} stopped`, at: frame.data.stoppedAt ?? at });
    } else if (frame.event === "log") {
      signals.push({ text: frame.data.text, source: `${frame.data.role} ${frame.data.task} log`, at: frame.data.at });
    }
  }
  // A failed stack's reason sums up its events: those come first, so the resource that failed is named.
  return [...signals, ...summaries];
}

export function fromRow(row: DiagnosisRow): EnvironmentDiagnosis {
  const code = isDiagnosisCode(row.code) ? row.code : "unknown";
  return { ...diagnosisOf(code), raw: row.raw, source: row.source, ...(row.pointsAt ? { pointsAt: row.pointsAt } : {}), at: row.at };
}

export class FailureWatch {
  private current: EnvironmentDiagnosis | null;
  /** The first resource event that failed for a reason of its own: what a rollback points at. */
  private firstFailure?: string;

  constructor(envId: string) {
    const row = currentDiagnosisOf(envId);
    this.current = row ? fromRow(row) : null;
  }

  get diagnosis(): EnvironmentDiagnosis | null {
    return this.current;
  }

  /** The attendee dismissed it: nothing shows until a new failure comes. */
  clear(): void {
    this.current = null;
  }

  /** Reads one poll's frames; returns the environment's new diagnosis when it changed. */
  observe(frames: UnnumberedFrame<EnvironmentEvents>[]): EnvironmentDiagnosis | undefined {
    let changed: EnvironmentDiagnosis | undefined;
    for (const signal of signalsOf(frames, new Date().toISOString())) {
      const found = diagnoseLine(signal.text);
      if (/ \w+_FAILED$/.test(signal.source) && found.code !== "stack-rollback" && !this.firstFailure) {
        this.firstFailure = `${signal.source}: ${signal.text}`;
      }
      if (found.code === "unknown") continue;
      if (!this.replaces(found.code, signal.at)) continue;
      this.current = {
        ...found,
        raw: signal.text,
        source: signal.source,
        ...(found.code === "stack-rollback" && this.firstFailure ? { pointsAt: this.firstFailure } : {}),
        at: signal.at,
      };
      changed = this.current;
    }
    return changed;
  }

  private replaces(code: EnvironmentDiagnosis["code"], at: string): boolean {
    const current = this.current;
    if (!current) return true;
    if (current.code === code) return false;
    const recent = Date.parse(at) - Date.parse(current.at) < EXPLAINED_MS;
    return !(isConsequence(code) && !isConsequence(current.code) && recent);
  }
}
