import type { RosterRow } from "@/lib/stream/protocol";
import type { DiagnosisCode } from "./codes";

/** The attendees whose environment shows each cause now, the largest group first. */
export function roomProblems(rows: RosterRow[]): { code: DiagnosisCode; rows: RosterRow[] }[] {
  const groups = new Map<DiagnosisCode, RosterRow[]>();
  for (const row of rows) {
    if (!row.diagnosis) continue;
    const group = groups.get(row.diagnosis.code);
    if (group) group.push(row);
    else groups.set(row.diagnosis.code, [row]);
  }
  return [...groups.entries()]
    .map(([code, members]) => ({ code, rows: members.sort((a, b) => a.name.localeCompare(b.name)) }))
    .sort((a, b) => b.rows.length - a.rows.length || a.code.localeCompare(b.code));
}
