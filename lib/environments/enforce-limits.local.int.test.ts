// The worker maximum with the local provider and real Dask processes. Locally the worker
// service's desired count lives in the environment's state file, which the notebook (a
// process of the same user, started in a folder below it) can rewrite; the supervisor
// follows that file when a restarted portal adopts the environment. The test edits the
// file as such a notebook would, restarts the "portal" and watches the first poll set the
// count back.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attendee, environmentRow, environmentTab, memoryStorePerTest } from "../../test/support/unit";
import { listAudit } from "@/lib/db/audit-queries";
import { providerRef } from "@/lib/db/environment-queries";
import { describeUntil } from "../providers/provider-contract";
import { LocalProvider, localSettingsFromEnv } from "../providers/local";
import { stateFile } from "../providers/local/state";
import { Watchers } from "./watchers";
import { stopLocal } from "@/test/support/local";

memoryStorePerTest();

describe("the worker maximum on the local provider", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-limits-"));
  const settings = localSettingsFromEnv(dataDir);
  const workers = { max: 2, default: 1 };

  afterAll(() => {
    stopLocal(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("sets a desired count written into the state file past the maximum back to it, and tells the attendee", async () => {
    const row = environmentRow(attendee("Ada").id, "dask-limits-local");
    const env = providerRef(row);
    const before = new LocalProvider(settings, workers);
    await before.deploy(env, { workers: 1 });
    await describeUntil(before, env, (s) => s.status === "CREATE_COMPLETE");

    // What the notebook can do: rewrite the desired count in its environment's state file.
    before.release();
    const file = stateFile(path.join(settings.rootDir, row.id));
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, JSON.stringify({ ...state, desiredWorkers: 6 }));

    const after = new LocalProvider(settings, workers);
    await after.adopt([env]);
    const watchers = new Watchers(after);
    const page = environmentTab();
    const stream = watchers.watch(row);
    stream.subscribe(page.sink, null);
    stream.stop();

    expect((await stream.pollNow())?.desiredWorkers).toBe(2);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).desiredWorkers).toBe(2);
    expect(page.notices()).toEqual(["Your workers were set back to 2, the event's maximum (the worker service had been asked for 6)."]);
    expect(listAudit().filter((a) => a.action === "worker-limit")).toMatchObject([{ target: row.id, detail: "desired count 6 set back to 2" }]);

    // What runs settles at the maximum.
    const settled = await describeUntil(after, env, (s) => s.status === "UPDATE_COMPLETE");
    expect(settled.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING")).toHaveLength(2);

    await after.destroy(env, "the test");
    await describeUntil(after, env, (s) => s.status === "DELETE_COMPLETE", 30_000);
  });
});
