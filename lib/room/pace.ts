import type { RosterRow } from "@/lib/stream/protocol";

// The room's pace, per lab, from the roster rows the facilitator's page already holds
// (pure, so the card recomputes it as time passes without asking the server).

export interface LabPace {
  slug: string;
  title: string;
  /** Attendees whose current lab this is and who have not finished it. */
  on: RosterRow[];
  done: number;
  /** Of those on it, who is stuck (isStuck). */
  stuck: RosterRow[];
  /** Median minutes spent on it: start to finish for those done, start to now for those on it. */
  medianMinutes: number | null;
}

/**
 * Stuck: no progress for `minutes` while the attendee's environment shows a diagnosis or
 * they asked for help. Progress is opening or finishing a lab, or passing a check.
 */
export function isStuck(row: RosterRow, now: number, minutes: number): boolean {
  return (row.diagnosis !== null || row.help !== null) && now - Date.parse(row.lastProgressAt) >= minutes * 60_000;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function roomPace(rows: RosterRow[], labs: { slug: string; title: string }[], now: number, stuckMinutes: number): LabPace[] {
  return labs.map(({ slug, title }) => {
    const on = rows.filter((r) => r.currentLab === slug && !r.labs[slug]?.doneAt);
    const spent = rows.flatMap((r) => {
      const lab = r.labs[slug];
      if (!lab?.startedAt) return [];
      const end = lab.doneAt ? Date.parse(lab.doneAt) : r.currentLab === slug ? now : null;
      return end === null ? [] : [Math.max(0, end - Date.parse(lab.startedAt)) / 60_000];
    });
    return {
      slug,
      title,
      on,
      done: rows.filter((r) => r.labs[slug]?.doneAt).length,
      stuck: on.filter((r) => isStuck(r, now, stuckMinutes)),
      medianMinutes: median(spent),
    };
  });
}
