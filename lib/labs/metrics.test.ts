import { describe, expect, it } from "vitest";
import { tasksComputed } from "./metrics";

describe("tasksComputed", () => {
  it("adds up the tasks that reached memory across prefixes and ignores other states", () => {
    const text = [
      "# TYPE dask_scheduler_prefix_state_totals_total counter",
      'dask_scheduler_prefix_state_totals_total{state="memory",task_prefix_name="sum"} 10.0',
      'dask_scheduler_prefix_state_totals_total{state="waiting",task_prefix_name="sum"} 10.0',
      'dask_scheduler_prefix_state_totals_total{state="memory",task_prefix_name="open_dataset"} 2.0',
      "dask_scheduler_workers_added_total 2.0",
    ].join("\n");
    expect(tasksComputed(text)).toBe(12);
    expect(tasksComputed("dask_scheduler_workers_added_total 2.0")).toBe(0);
  });
});
