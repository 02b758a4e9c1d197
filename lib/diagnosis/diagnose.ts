import { capLogLine } from "@/lib/providers/contract";
import { catalogue, rules } from "./catalogue";
import type { Diagnosis, DiagnosisCode } from "./codes";

/** The catalogue's entry for a code, as a diagnosis. */
export function diagnosisOf(code: DiagnosisCode): Diagnosis {
  const { cause, fix, action } = catalogue[code];
  return { code, cause, fix, ...(action ? { action } : {}) };
}

/**
 * The cause a failure signal names, from its stable parts; `unknown` for anything the
 * catalogue does not recognise, a healthy line included. The line is first cut as the log
 * panel cuts it (8 KiB), so the work per line is bounded whatever its length.
 */
export function diagnoseLine(text: string): Diagnosis {
  const line = capLogLine(text).toLowerCase();
  for (const rule of rules) {
    if (rule.all.every((phrase) => line.includes(phrase))) return diagnosisOf(rule.code);
  }
  return diagnosisOf("unknown");
}

/** Whether a code is the consequence of another cause rather than a cause of its own. */
export function isConsequence(code: DiagnosisCode): boolean {
  return catalogue[code].consequence === true;
}
