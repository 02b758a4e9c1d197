// The lab 4 check on a real local environment: a real scheduler with the progress plugin
// preloaded (docker/workshop_progress.py), real workers, a real Dask client with the
// environment's certificates. The check reads only the progress lines the scheduler logs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portalConfig } from "@/lib/config";
import { openDb, useStore } from "@/lib/db";
import { createEnvironmentOnce, providerRef } from "@/lib/db/environment-queries";
import { upsertAttendee } from "@/test/support/seed";
import type { EnvironmentRow } from "@/lib/db/schema";
import { describeUntil } from "@/lib/providers/provider-contract";
import { LocalProvider, localSettingsFromEnv } from "@/lib/providers/local";
import { Runtime } from "@/lib/runtime";
import { runCheck, type CheckResult } from "./checks";
import type { ClusterProgress } from "./progress-line";
import { stopLocal } from "@/test/support/local";

const LAB = "04-analyse-era5-in-the-notebook";

describe("the lab 4 check on a local environment", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-lab4-"));
  const settings = { ...localSettingsFromEnv(dataDir), graceMs: 3000 };
  const provider = new LocalProvider(settings, { max: 2, default: 1 });
  const python = path.join(settings.pythonEnv, "bin", "python");
  let restoreStore = () => {};
  let rt: Runtime;
  let row: EnvironmentRow;
  let actor: { id: string; role: "attendee" };

  /** A Dask client run as the notebook's kernel runs (its sandbox, network and certificates), with the env's own Python. */
  async function client(code: string): Promise<void> {
    const address = (await provider.describe(providerRef(row))).links.schedulerAddress!;
    const script = ["import sys", "from distributed import Client", "import dask.array as da", "with Client(sys.argv[1], timeout=30) as c:", ...code.split("\n").map((l) => `    ${l}`)].join("\n");
    const kernel = provider.asKernel(providerRef(row), python, ["-c", script, address], path.join(settings.rootDir, row.id))!;
    execFileSync(kernel.command, kernel.args, { env: kernel.env as NodeJS.ProcessEnv, stdio: "pipe" });
  }

  const check = (): Promise<CheckResult> => runCheck(rt, actor, LAB, "computation-ran");

  /** Polls the environment's stream (as a check does) until the newest progress line satisfies `want`. */
  async function progressUntil(want: (p: ClusterProgress) => boolean): Promise<ClusterProgress> {
    const stream = rt.watchers.watch(row);
    const deadline = Date.now() + 60_000;
    for (;;) {
      await stream.pollNow();
      const p = rt.watchers.progressOf(row.id);
      if (p && want(p)) return p;
      if (Date.now() > deadline) throw new Error(`no progress line as wanted; newest: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    if (!fs.existsSync(python)) throw new Error("Run `make pyenv` first: the Python env from docker/requirements.txt is missing.");
    restoreStore = useStore(openDb(":memory:"));
    rt = new Runtime(portalConfig({ PORTAL_DATA_DIR: dataDir }), provider);
    const ada = upsertAttendee({ name: "Ada", email: "ada@example.org" });
    actor = { id: ada.id, role: "attendee" };
    row = createEnvironmentOnce({ attendeeId: ada.id, provider: "local", stackName: "dask-lab4-aaaaaa", desiredWorkers: 1 }).row;
    await provider.deploy(providerRef(row), { workers: 1 });
    await describeUntil(provider, providerRef(row), (s) => s.status === "CREATE_COMPLETE");
  });

  afterAll(async () => {
    rt?.stop();
    await provider.destroy(providerRef(row), "the test");
    stopLocal(dataDir);
    restoreStore();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("fails while the scheduler has computed nothing, naming the persist step", async () => {
    const first = await progressUntil((p) => p.workers === 1);
    expect(first.tasks).toBe(0);
    // The pins the env was built from (`make pyenv` writes <env>/pins), or none when it did not say.
    const pinsFile = path.join(settings.pythonEnv, "pins");
    expect(first.pins).toBe(fs.existsSync(pinsFile) ? fs.readFileSync(pinsFile, "utf8").trim() : null);
    const result = await check();
    expect(result).toMatchObject({ passed: false, message: "Your scheduler has not computed anything yet." });
    expect(!result.passed && result.hint).toContain("persist step");
  });

  it("still fails after a computation whose result went back to the client: nothing is held in memory", async () => {
    await client("assert int(da.arange(1000, chunks=100).sum().compute()) == 499500");
    await progressUntil((p) => p.tasks > 0 && p.bytes === 0);
    const result = await check();
    expect(result.passed).toBe(false);
    expect(!result.passed && result.message).toMatch(/computed \d+ task\(s\) but holds no data/);
  });

  it("passes once a client has persisted data on the workers", async () => {
    // Published, the persisted array outlives the client, as it outlives a notebook cell.
    await client("x = da.random.default_rng(0).random((1000, 1000), chunks=(250, 250)).persist()\nc.publish_dataset(t2m=x)");
    await progressUntil((p) => p.bytes >= 8_000_000);
    const result = await check();
    expect(result.passed).toBe(true);
    expect(result.passed && result.detail).toMatch(/^your scheduler reports \d+ tasks done · 0\.01 GiB held · 1 worker$/);
  });
});
