import fs from "node:fs";
import path from "node:path";
import type { Machine } from "./machine";

// A bench re-run after a change reports it beside the same bench run on the code before the
// change, in the same session (the load of the machine differs from one session to the next):
// the earlier run's results.json is kept beside the new one as results-before.json.

/** The results of the run on the code before the change, when kept in `dir`. */
export function loadBefore<T>(dir: string): (T & { machine: Machine }) | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "results-before.json"), "utf8")) as T & { machine: Machine };
  } catch {
    return undefined;
  }
}

/** Rows of `label, before, after` seconds (or MiB) as a Markdown table with the after/before ratio. */
export function comparisonTable(rows: [string, number, number][], unit = "s"): string[] {
  return [
    `| measure | before (${unit}) | after (${unit}) | after / before |`,
    "|---|---|---|---|",
    ...rows.map(([label, before, after]) => `| ${label} | ${before.toFixed(2)} | ${after.toFixed(2)} | ${(after / before).toFixed(2)} |`),
  ];
}

/** Where and when each side ran: commits and load averages. */
export function sidesTable(before: Machine, after: Machine): string[] {
  return [
    "| | before | after |",
    "|---|---|---|",
    `| commit | ${before.commit} | ${after.commit} |`,
    `| load average before the runs (1, 5, 15 min) | ${before.load} | ${after.load} |`,
  ];
}
