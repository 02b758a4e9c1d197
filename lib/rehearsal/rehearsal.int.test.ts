// The dress rehearsal for real on this machine: a real local environment (bubblewrapped
// Dask with TLS), the workshop notebook run by papermill against its scheduler on
// generated sample data, the teardown, and the report. The summary numbers are checked
// against the same sample file read here with xarray.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portalConfig } from "@/lib/config";
import { openDb, useStore } from "@/lib/db";
import { listAttendees } from "@/lib/db/attendee-queries";
import { listLiveEnvironments } from "@/lib/db/environment-queries";
import { LocalProvider, localSettingsFromEnv } from "@/lib/providers/local";
import { findOwnedProcesses } from "@/lib/providers/local/processes";
import type { RehearsalView } from "./phases";
import { rehearsalSettings, startRehearsal } from "./run";
import { stopLocal } from "@/test/support/local";

describe("the dress rehearsal on a local environment", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-rehearsal-"));
  const sample = path.join(dataDir, "sample", "era5");
  const settings = { ...localSettingsFromEnv(dataDir), graceMs: 3000 };
  const python = path.join(settings.pythonEnv, "bin", "python");
  const provider = new LocalProvider(settings, { max: 2, default: 1 });
  let restoreStore = () => {};
  const lines: string[] = [];
  let view: RehearsalView;

  beforeAll(async () => {
    if (!fs.existsSync(python)) throw new Error("Run `make pyenv` first: the Python env from docker/requirements.txt is missing.");
    execFileSync(python, ["notebooks/generate_sample_data.py", "--base", sample, "--preset", "small"], { stdio: "pipe" });
    restoreStore = useStore(openDb(":memory:"));
    const start = startRehearsal({ provider, settings: { ...rehearsalSettings(portalConfig({ PORTAL_DATA_DIR: dataDir })), pollMs: 250 } }, "facilitator", {
      onView: () => {},
      onLog: (l) => lines.push(l.text),
    });
    expect(start.started).toBe(true);
    view = await start.done!;
  }, 170_000);

  afterAll(() => {
    stopLocal(dataDir);
    restoreStore();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("passes every phase, each timed, and tears the environment down", async () => {
    expect(view.failure).toBeUndefined();
    expect(view.status).toBe("passed");
    expect(view.phases.map((p) => [p.name, p.status])).toEqual([
      ["stack", "done"],
      ["tasks", "done"],
      ["notebook", "done"],
      ["teardown", "done"],
    ]);
    for (const p of view.phases) expect(p.seconds).toBeGreaterThanOrEqual(0);
    expect((await provider.describe({ id: view.id, stackName: view.stackName, attendeeId: "rehearsal", attendeeEmail: "" })).status).toBe("DELETE_COMPLETE");
    expect(findOwnedProcesses(dataDir)).toEqual([]);
    // No attendee, no environment row: the room never saw it.
    expect(listAttendees()).toEqual([]);
    expect(listLiveEnvironments()).toEqual([]);
  });

  it("streams the notebook's log and reads its summary, which matches the sample data", () => {
    expect(lines.some((l) => l.includes("Executing notebook"))).toBe(true);
    const expected = JSON.parse(
      execFileSync(python, [
        "-c",
        [
          "import json, sys, glob, xarray as xr",
          "f = sorted(glob.glob(sys.argv[1] + '/e5.oper.an.sfc/202101/*.nc'))[0]",
          "t = xr.open_dataset(f, engine='h5netcdf')['VAR_2T'] - 273.15",
          "print(json.dumps({'mean': float(t.mean('time').mean()), 'min': float(t.min()), 'max': float(t.max()), 'steps': t.sizes['time'], 'points': t.sizes['latitude'] * t.sizes['longitude']}))",
        ].join("\n"),
        sample,
      ]).toString(),
    ) as { mean: number; min: number; max: number; steps: number; points: number };
    expect(view.summary).toMatchObject({ months: 1, timeSteps: expected.steps, gridPoints: expected.points, cities: 5 });
    expect(view.summary!.globalMeanC).toBeCloseTo(expected.mean, 2);
    expect(view.summary!.minC).toBeCloseTo(expected.min, 2);
    expect(view.summary!.maxC).toBeCloseTo(expected.max, 2);
  });

  it("writes the report under the data folder with every phase, the results and the measured CPU", () => {
    expect(path.dirname(view.reportPath!)).toBe(path.join(dataDir, "rehearsals"));
    const report = fs.readFileSync(view.reportPath!, "utf8");
    expect(report).toContain("PASSED");
    for (const label of ["Stack create", "Tasks running", "Notebook", "Teardown"]) expect(report).toMatch(new RegExp(`\\| ${label} \\| done \\| [0-9.]+ s`));
    expect(report).toContain(`Global mean 2 m temperature: ${view.summary!.globalMeanC.toFixed(2)} °C`);
    expect(report).toMatch(/[0-9.]+ CPU seconds used/);
    expect(view.cost!.total).toBeGreaterThan(0);
  });
});
