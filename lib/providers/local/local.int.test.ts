import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUntil } from "../provider-contract";
import type { EnvironmentRef, EnvironmentSnapshot } from "@/lib/providers/contract";
import { LocalProvider, localSettingsFromEnv } from "./index";
import { findOwnedProcesses } from "./processes";
import { stopLocal } from "@/test/support/local";

const python = path.resolve(".venv/bin/python");

const running = (s: EnvironmentSnapshot, role: "scheduler" | "worker") =>
  s.tasks.filter((t) => t.role === role && t.lastStatus === "RUNNING");

/**
 * Asks the real scheduler, from a real Dask client run as the environment's kernels run (its
 * network namespace is the only place the scheduler listens), how many workers it has and to compute a sum.
 */
function clientSays(provider: LocalProvider, env: EnvironmentRef, address: string): { workers: number; total: number } {
  const code = [
    "import json, sys",
    "from distributed import Client",
    "import dask.array as da",
    "with Client(sys.argv[1], timeout=30) as c:",
    "    total = int(da.arange(1000, chunks=100).sum().compute())",
    "    print(json.dumps({'workers': len(c.scheduler_info()['workers']), 'total': total}))",
  ].join("\n");
  const run = provider.asKernel(env, python, ["-c", code, address])!;
  return JSON.parse(execFileSync(run.command, run.args, { encoding: "utf8", env: run.env as NodeJS.ProcessEnv }).trim().split("\n").pop()!);
}

const commandOf = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");

/** The nice value of each thread of each owned process whose command line matches. */
function niceValues(dataDir: string, matches: (command: string) => boolean): number[] {
  const values: number[] = [];
  for (const { pid } of findOwnedProcesses(dataDir)) {
    try {
      if (!matches(commandOf(pid))) continue;
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        // Field 19 of stat: the 17th after the command name's closing parenthesis.
        values.push(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
      }
    } catch {
      // gone meanwhile
    }
  }
  return values;
}

async function waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not appear`);
}

/** Starts a kernel through JupyterLab's own API, on its socket, as the portal's proxy would. */
function startKernel(dataDir: string, envId: string): Promise<number | undefined> {
  const state = JSON.parse(fs.readFileSync(path.join(dataDir, "local", envId, "state.json"), "utf8"));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: path.join(state.isolation.socketDir, "notebook.sock"),
        path: `/environments/${envId}/notebook/api/kernels`,
        method: "POST",
        headers: { authorization: `token ${state.notebookToken}`, "content-type": "application/json" },
      },
      (res) => resolve(res.resume().statusCode),
    );
    req.on("error", reject);
    req.end("{}");
  });
}

describe("local provider with real Dask processes", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-local-"));
  const settings = { ...localSettingsFromEnv(dataDir), graceMs: 3000 };
  const provider = new LocalProvider(settings, { max: 4, default: 2 });
  const env: EnvironmentRef = { id: "11111111-1111-4111-8111-111111111111", stackName: "dask-test-aaaaaa", attendeeId: "a1", attendeeEmail: "a@example.com" };

  beforeAll(() => {
    if (!fs.existsSync(python)) throw new Error("Run `make pyenv` first: the Python env from docker/requirements.txt is missing.");
  });

  afterAll(async () => {
    await provider.destroy(env, "the test");
    stopLocal(dataDir);
  });

  it("deploys a scheduler and two workers that a real Dask client can use", async () => {
    await provider.deploy(env, { workers: 2 });
    const first = await provider.describe(env);
    expect(first.status).toBe("CREATE_IN_PROGRESS");
    // JupyterLab starts below the cluster, when the portal may raise it again once it answers (as root).
    const starting = await waitFor(() => {
      const values = niceValues(dataDir, (c) => c.includes("jupyter-lab"));
      return values.length ? values : undefined;
    }, "JupyterLab");
    expect(new Set(starting)).toEqual(new Set([process.getuid?.() === 0 ? 19 : 0]));
    const ready = await describeUntil(provider, env, (s) => s.status === "CREATE_COMPLETE");
    expect(running(ready, "scheduler")).toHaveLength(1);
    expect(running(ready, "worker")).toHaveLength(2);
    expect(ready.progress).toEqual({ done: 3, total: 3 });
    expect(ready.links.schedulerAddress).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    expect(clientSays(provider, env, ready.links.schedulerAddress!)).toEqual({ workers: 2, total: 499500 });
  });

  it("opens the notebook once JupyterLab answers, without holding the environment's readiness", async () => {
    const withNotebook = await describeUntil(provider, env, (s) => s.links.notebookReady === true);
    expect(withNotebook.status).toBe("CREATE_COMPLETE");
    // Through the portal's content origin (lib/content), which adds the token itself: none in the address.
    expect(await provider.openNotebook(env)).toBe(`/environments/${env.id}/notebook/lab/tree/era5-analysis.ipynb`);
    const { events } = await provider.events(env, null);
    const stack = events.flatMap((e) => (e.kind === "stack" ? [`${e.resource} ${e.status}`] : []));
    expect(stack).toContain("NotebookInstance CREATE_COMPLETE");
  });

  it("runs JupyterLab, once it answers, and the kernels it starts at the normal priority", async () => {
    await describeUntil(provider, env, (s) => s.links.notebookReady === true);
    // Every thread of JupyterLab's chain (bubblewrap and JupyterLab itself), not only its first.
    const notebook = niceValues(dataDir, (c) => c.includes("--ServerApp.sock="));
    expect(notebook.length).toBeGreaterThan(1);
    expect(new Set(notebook)).toEqual(new Set([0]));
    expect(await startKernel(dataDir, env.id)).toBe(201);
    const kernel = await waitFor(() => {
      const values = niceValues(dataDir, (c) => c.includes("ipykernel"));
      return values.length ? values : undefined;
    }, "a kernel");
    expect(new Set(kernel)).toEqual(new Set([0]));
  });

  it("streams scheduler log lines and stack events once each", async () => {
    const a = await provider.events(env, null);
    const texts = a.events.filter((e) => e.kind === "log").map((e) => (e.kind === "log" ? e.text : ""));
    expect(texts.some((t) => t.includes("Scheduler at:"))).toBe(true);
    expect(a.events.some((e) => e.kind === "stack" && e.status === "CREATE_COMPLETE")).toBe(true);
    const keys = a.events.filter((e) => e.kind === "log").map((e) => (e.kind === "log" ? e.key : ""));
    expect(new Set(keys).size).toBe(keys.length);
    const b = await provider.events(env, a.cursor);
    const again = b.events.filter((e) => e.kind === "log" && keys.includes(e.key));
    expect(again).toEqual([]);
  });

  it("tells the stream as soon as a task writes, so new log lines need not wait for a timer", async () => {
    const before = await provider.events(env, null);
    let heard = 0;
    const stop = provider.onActivity(env, () => {
      heard += 1;
    });
    try {
      // A real client connecting makes the scheduler log it.
      clientSays(provider, env, (await provider.describe(env)).links.schedulerAddress!);
      const deadline = Date.now() + 15_000;
      while (heard === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(heard).toBeGreaterThan(0);
      const after = await provider.events(env, before.cursor);
      expect(after.events.some((e) => e.kind === "log" && e.role === "scheduler")).toBe(true);
    } finally {
      stop();
    }
  });

  it("scales to three workers, all registered with the scheduler", async () => {
    await provider.scale(env, 3);
    const scaled = await describeUntil(provider, env, (s) => s.status === "UPDATE_COMPLETE" && running(s, "worker").length === 3);
    expect(clientSays(provider, env, scaled.links.schedulerAddress!).workers).toBe(3);
  });

  it("refuses a worker count outside 0..max and changes nothing", async () => {
    for (const bad of [-1, 1e9, 2.5, Number.NaN]) {
      await expect(provider.scale(env, bad)).rejects.toThrow(/0 to 4/);
    }
    expect((await provider.describe(env)).desiredWorkers).toBe(3);
  });

  it("shows a killed worker as STOPPED with its reason and starts a replacement", async () => {
    const before = await provider.describe(env);
    const victim = running(before, "worker")[0];
    const pid = findOwnedProcesses(dataDir).find((p) => {
      const cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8");
      return cmd.includes(`\0${victim.id}\0`);
    })!.pid;
    process.kill(pid, "SIGKILL");
    const after = await describeUntil(
      provider,
      env,
      (s) => s.tasks.find((t) => t.id === victim.id)?.lastStatus === "STOPPED" && running(s, "worker").length === 3,
    );
    expect(after.tasks.find((t) => t.id === victim.id)?.stoppedReason).toContain("SIGKILL");
  });

  it("tears down: every task STOPPED, the stack DELETE_COMPLETE, no process left", async () => {
    await provider.destroy(env, "the test");
    const gone = await describeUntil(provider, env, (s) => s.status === "DELETE_COMPLETE", 30_000);
    expect(gone.tasks.every((t) => t.lastStatus === "STOPPED")).toBe(true);
    expect(gone.tasks.filter((t) => t.lastStatus === "STOPPED" && t.stoppedReason?.startsWith("Torn down")).length).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 500));
    expect(findOwnedProcesses(dataDir)).toEqual([]);
  });

  it("fails creation with a how-to-fix reason when the Python env is missing", async () => {
    const broken = new LocalProvider({ ...settings, pythonEnv: path.join(dataDir, "no-such-venv") }, { max: 4, default: 2 });
    const ref = { ...env, id: "22222222-2222-4222-8222-222222222222", stackName: "dask-broken-bbbbbb" };
    await broken.deploy(ref, { workers: 2 });
    const failed = await broken.describe(ref);
    expect(failed.status).toBe("CREATE_FAILED");
    expect(failed.reason).toContain("make pyenv");
    // Like a rollback, nothing of it is left behind once deleted: no namespace, no group.
    await broken.destroy(ref, "the test");
    await describeUntil(broken, ref, (s) => s.status === "DELETE_COMPLETE", 30_000);
  });
});
