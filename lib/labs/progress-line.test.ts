import { describe, expect, it } from "vitest";
import { parseProgressLine, pinsWarning, progressOfLogLine, progressOfStoredLog, progressWords } from "./progress-line";

// The lines as docker/workshop_progress.py writes them through the scheduler's logger
// (docker/test_workshop_progress.py checks the Python side against the same text).
const logged = (json: string) => `2026-12-01 09:14:03,512 - distributed.workshop_progress - INFO - dask-workshop-progress ${json}`;
const line = logged('{"v":1,"tasks":1520,"bytes":3000000000,"workers":2,"pins":"0123456789ab"}');

describe("progress lines", () => {
  it("reads the figures from a line as the scheduler's logger writes it", () => {
    expect(parseProgressLine(line)).toEqual({ v: 1, tasks: 1520, bytes: 3000000000, workers: 2, pins: "0123456789ab" });
    expect(parseProgressLine('dask-workshop-progress {"v":1,"tasks":0,"bytes":0,"workers":0,"pins":null}')).toMatchObject({ tasks: 0, pins: null });
  });

  it("ignores every other line, and progress lines that are malformed or of another version", () => {
    for (const text of [
      "2026-12-01 09:14:03,512 - distributed.scheduler - INFO - Receive client connection",
      "dask-workshop-progress",
      logged('{"v":1,"tasks":1520,"bytes":3087'), // cut short
      logged('{"v":2,"tasks":1,"bytes":1,"workers":1,"pins":null}'),
      logged('{"v":1,"tasks":-1,"bytes":1,"workers":1,"pins":null}'),
      logged('{"v":1,"tasks":1.5,"bytes":1,"workers":1,"pins":null}'),
      logged('{"v":1,"tasks":"9","bytes":1,"workers":1,"pins":null}'),
      logged('{"v":1,"bytes":1,"workers":1,"pins":null}'),
      logged("[1,2,3]"),
    ]) {
      expect(parseProgressLine(text), text).toBeNull();
    }
  });

  it("believes only the scheduler: a worker printing the same text reports nothing", () => {
    expect(progressOfLogLine({ role: "scheduler", text: line })).toMatchObject({ tasks: 1520 });
    expect(progressOfLogLine({ role: "worker", text: line })).toBeNull();
    expect(progressOfStoredLog(JSON.stringify({ at: "x", task: "scheduler-1", role: "scheduler", text: line }))).toMatchObject({ workers: 2 });
    expect(progressOfStoredLog("not json")).toBeNull();
  });

  it("says the figures in the roster's words", () => {
    expect(progressWords({ tasks: 1520, bytes: 3000000000, workers: 2 })).toBe("1520 tasks done · 2.79 GiB held · 2 workers");
    expect(progressWords({ tasks: 1, bytes: 0, workers: 1 })).toBe("1 task done · 0.00 GiB held · 1 worker");
  });

  it("warns when the cluster's pins are not the portal's, and only then", () => {
    expect(pinsWarning("0123456789ab", "0123456789ab")).toBeNull();
    expect(pinsWarning(null, "0123456789ab")).toBeNull();
    const warning = pinsWarning("ffffffffffff", "0123456789ab");
    expect(warning).toContain("other pins (ffffffffffff)");
    expect(warning).toContain("Rebuild the image");
  });
});
