// The closed vocabulary of causes (docs/diagnosis.md). Read by the server, the browser and
// `npm run diagnose`, so it holds no server-only import and no zod (the facilitator page's
// Content-Security-Policy refuses zod's eval probe).

export const diagnosisCodes = [
  "permissions",
  "capabilities",
  "service-linked-role",
  "quota",
  "spot-capacity",
  "image-missing",
  "image-pull",
  "network",
  "out-of-memory",
  "worker-lost",
  "task-exit",
  "data-region",
  "data-missing",
  "data-access",
  "version-mismatch",
  "throttled",
  "stack-rollback",
  "timeout",
  "sandbox",
  "unknown",
] as const;

export type DiagnosisCode = (typeof diagnosisCodes)[number];

export function isDiagnosisCode(value: unknown): value is DiagnosisCode {
  return typeof value === "string" && (diagnosisCodes as readonly string[]).includes(value);
}

/**
 * What the facilitator's Room problems card offers for a cause: a button of the portal's
 * own, or a link to the page part that does it.
 */
export type DiagnosisAction = "build-image" | "request-quota" | "create-service-linked-role" | "redeploy" | "raise-memory";

/** A cause and what to do about it, as the attendee and the facilitator read it. */
export interface Diagnosis {
  code: DiagnosisCode;
  /** One plain sentence: what happened. */
  cause: string;
  /** One or two sentences: what to do. */
  fix: string;
  action?: DiagnosisAction;
}

/** An environment's latest failure, as its page and the facilitator's cards show it. */
export interface EnvironmentDiagnosis extends Diagnosis {
  /** The message it was read from, in the platform's own words. */
  raw: string;
  /** Where that message came from ("worker task worker-3 stopped", "WorkerService CREATE_FAILED", "scheduler log"). */
  source: string;
  /** For a rollback, the first failed resource's own event, which says why. */
  pointsAt?: string;
  at: string;
}
