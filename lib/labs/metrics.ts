/** Tasks the scheduler has seen finish (reach memory), summed over every task prefix. */
export function tasksComputed(prometheusText: string): number {
  let total = 0;
  for (const line of prometheusText.split("\n")) {
    if (!line.startsWith("dask_scheduler_prefix_state_totals_total{") || !line.includes('state="memory"')) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
