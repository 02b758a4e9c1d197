// The progress line the scheduler plugin (docker/workshop_progress.py) writes to the
// scheduler's log: a fixed prefix, a space, then compact JSON. The portal reads the lab 4
// check and the roster's progress from these lines only; it never asks the scheduler.
// The format is described in docs/architecture.md ("Progress lines"); change the three together.

import { z } from "zod";

// This module runs in the browser too (the roster, the environment page), whose
// Content-Security-Policy forbids eval: zod then parses without compiling its parsers.
z.config({ jitless: true });

export const PROGRESS_PREFIX = "dask-workshop-progress";

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The line's JSON: version 1, three counts and the pins hash (extra fields are dropped). */
const progressSchema = z.object({
  v: z.literal(1),
  /** Tasks the scheduler has seen computed since it started. */
  tasks: count,
  /** Bytes the scheduler knows its workers hold now. */
  bytes: count,
  /** Workers connected now. */
  workers: count,
  /** The hash of the pins the image (or local .venv) was built from, when it says. */
  pins: z.string().max(128).nullable(),
});

export type ClusterProgress = z.infer<typeof progressSchema>;

function asProgress(json: unknown): ClusterProgress | null {
  const parsed = progressSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/**
 * The progress a log line reports, or null for any other line (or a progress line that is
 * malformed: a line is text anyone on the cluster may print, so it is never trusted as is).
 */
export function parseProgressLine(text: string): ClusterProgress | null {
  // The logger puts its own time, name and level before the message.
  const at = text.indexOf(`${PROGRESS_PREFIX} {`);
  if (at < 0) return null;
  let json: unknown;
  try {
    json = JSON.parse(text.slice(at + PROGRESS_PREFIX.length + 1));
  } catch {
    return null;
  }
  return asProgress(json);
}

/** Only the scheduler writes progress; a worker's or anyone else's copy of the line is ignored. */
export function progressOfLogLine(line: { role: string; text: string }): ClusterProgress | null {
  return line.role === "scheduler" ? parseProgressLine(line.text) : null;
}

/** A stored `log` event's data (its JSON text), as progress. */
export function progressOfStoredLog(data: string | null): ClusterProgress | null {
  if (!data) return null;
  try {
    return progressOfLogLine(JSON.parse(data) as { role: string; text: string });
  } catch {
    return null;
  }
}

/** Memory as the roster and the check show it: GiB with two decimals. */
export function gibWords(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** "1520 tasks done · 2.87 GiB held · 2 workers" */
export function progressWords(p: Pick<ClusterProgress, "tasks" | "bytes" | "workers">): string {
  return `${p.tasks} task${p.tasks === 1 ? "" : "s"} done · ${gibWords(p.bytes)} held · ${p.workers} worker${p.workers === 1 ? "" : "s"}`;
}

/** What to do about a cluster built from other pins, for the attendee and the facilitator alike. */
export const PINS_ADVICE =
  "The notebook may fail on its workers or give other results. Rebuild the image from this repository's docker/ folder " +
  "(locally: run `make pyenv`), make the stack use it, and deploy again.";

/** The warning shown when the cluster's pins are not the portal's; null when they agree or the line does not say. */
export function pinsWarning(clusterPins: string | null, portalPins: string | null): string | null {
  if (!clusterPins || !portalPins || clusterPins === portalPins) return null;
  return `This cluster runs an image built from other pins (${clusterPins}) than this workshop's docker/requirements.txt (${portalPins}). ${PINS_ADVICE}`;
}
