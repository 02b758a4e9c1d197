import { phaseLabels, type RehearsalView } from "./phases";

// The rehearsal's report as Markdown: what the facilitator reads the evening before the
// room, and keeps. Numbers only from what was measured; nothing secret (no addresses).

const fmtSeconds = (s?: number) => (s === undefined ? "—" : s >= 90 ? `${(s / 60).toFixed(1)} min (${Math.round(s)} s)` : `${s.toFixed(1)} s`);

function costLines(view: RehearsalView): string[] {
  const cost = view.cost;
  if (!cost) return ["Not measured."];
  if (cost.unit === "usd") {
    return [
      `| | USD |`,
      `|---|---:|`,
      `| Attendee environment (stack create to teardown) | ${cost.environment.toFixed(4)} |`,
      `| Notebook task (one-off ECS task) | ${cost.notebookTask.toFixed(4)} |`,
      `| **Total** | **${cost.total.toFixed(4)}** |`,
      "",
      `Estimated at list prices (${cost.prices ?? "current table"}) from the tasks' sizes and run times, the notebook and its volume, and the NAT data and log ingestion docs/cost.md assumes; the event stack's shared NAT gateway hours are not included. Compare it with Cost Explorer the next day (docs/cost.md).`,
    ];
  }
  return [`${cost.total.toFixed(1)} CPU seconds used by the environment's processes (measured; the local provider spends no money).`];
}

export function renderReport(view: RehearsalView): string {
  const outcome = view.status === "passed" ? "PASSED" : view.status === "failed" ? "FAILED" : "RUNNING";
  const lines = [
    `# Dress rehearsal ${view.startedAt}: ${outcome}`,
    "",
    `- Provider: ${view.provider}`,
    `- Stack: ${view.stackName}`,
    `- Started by: ${view.startedBy}`,
    `- ERA5 months read: ${view.months.join(", ")}`,
    `- Finished: ${view.finishedAt ?? "—"}`,
    "",
    "## Phases",
    "",
    "| Phase | Result | Time | Detail |",
    "|---|---|---:|---|",
    ...view.phases.map((p) => `| ${p.label} | ${p.status} | ${fmtSeconds(p.seconds)} | ${(p.detail ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
    "",
  ];
  if (view.failure) {
    const f = view.failure;
    lines.push("## Failure", "", `- Phase: ${phaseLabels[f.phase]} (${f.phase})`, `- Reason: ${f.reason}`);
    if (f.stoppedReason) lines.push(`- Stopped reason: ${f.stoppedReason}`);
    if (f.exitCode !== undefined) lines.push(`- Exit code: ${f.exitCode ?? "none"}`);
    lines.push("");
  }
  lines.push("## Notebook results", "");
  const s = view.summary;
  lines.push(
    ...(s
      ? [
          `- Months read: ${s.months} (${s.timeSteps} hourly steps, ${s.gridPoints} grid points each)`,
          `- Global mean 2 m temperature: ${s.globalMeanC.toFixed(2)} °C`,
          `- Coldest / warmest hourly value: ${s.minC.toFixed(2)} °C / ${s.maxC.toFixed(2)} °C`,
          `- Cities in the hourly table: ${s.cities}`,
        ]
      : ["No summary: the notebook did not reach its last cell."]),
    "",
    "## Image pull",
    "",
    view.imagePull
      ? `- Slowest pull of the room's image: ${fmtSeconds(view.imagePull.seconds)} (a ${view.imagePull.role} task); every new worker waits about this long before it joins.`
      : "- Not reported: the platform gave no image pull times (ECS on Fargate reports pullStartedAt and pullStoppedAt; moto and the local provider do not).",
    "",
    "## Cost",
    "",
    ...costLines(view),
    "",
  );
  return lines.join("\n");
}
