import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeUntil } from "../provider-contract";
import type { EnvironmentRef } from "@/lib/providers/contract";
import { LocalProvider, localSettingsFromEnv } from "./index";
import { ENV_MARKER, findOwnedProcesses, isAlive, OWNER_MARKER } from "./processes";
import { stopLocal } from "@/test/support/local";

describe("a portal restart with local environments running", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-adopt-"));
  const settings = { ...localSettingsFromEnv(dataDir), graceMs: 3000 };
  const env: EnvironmentRef = { id: "33333333-3333-4333-8333-333333333333", stackName: "dask-adopt-cccccc", attendeeId: "a3", attendeeEmail: "c@example.com" };

  afterAll(() => {
    stopLocal(dataDir);
  });

  it("adopts the running processes, stops strays it does not know, and can still tear down", async () => {
    const before = new LocalProvider(settings, { max: 4, default: 2 });
    await before.deploy(env, { workers: 2 });
    const ready = await describeUntil(before, env, (s) => s.status === "CREATE_COMPLETE");
    // Task processes, JupyterLab's sandbox, the zygote they are forked from (the room's seed
    // planted it: its sandbox's holder and the zygote itself) and the network's egress lead their
    // own groups; helpers they start for a moment are not what we track.
    const pids = findOwnedProcesses(dataDir)
      .filter((p) => p.pid === p.pgid)
      .map((p) => p.pid);
    const egress = pids.filter((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("slirp4netns"));
    expect(pids.length - egress.length).toBe(6);
    const { zygote } = JSON.parse(fs.readFileSync(path.join(dataDir, "local", env.id, "state.json"), "utf8"));
    expect(pids).toEqual(expect.arrayContaining([zygote.pid, zygote.planted]));

    // An attendee's kernel: JupyterLab starts it in a session of its own.
    await describeUntil(before, env, (s) => s.links.notebookReady === true);
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, "local", env.id, "state.json"), "utf8"));
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: path.join(state.isolation.socketDir, "notebook.sock"),
          path: `/environments/${env.id}/notebook/api/kernels`,
          method: "POST",
          headers: { authorization: `token ${state.notebookToken}`, "content-type": "application/json" },
        },
        (res) => resolve(res.resume().statusCode),
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(201);
    const kernelPid = await (async () => {
      for (let i = 0; i < 100; i++) {
        const kernel = findOwnedProcesses(dataDir).find((p) => fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("ipykernel"));
        if (kernel) return kernel.pid;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("no kernel process appeared");
    })();

    // A process of ours that no environment claims, as if left over from a lost database.
    const stray = spawn(path.join(settings.pythonEnv, "bin", "python"), ["-c", "import time; time.sleep(120)"], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, [ENV_MARKER]: "44444444-4444-4444-8444-444444444444", [OWNER_MARKER]: dataDir },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(stray.pid!)).toBe(true);

    // The "restarted portal": the old one lets go, a fresh provider knows only what the store lists.
    before.release();
    const after = new LocalProvider(settings, { max: 4, default: 2 });
    await after.adopt([env]);
    const adopted = await after.describe(env);
    expect(adopted.status).toBe("CREATE_COMPLETE");
    expect(adopted.tasks.filter((t) => t.lastStatus === "RUNNING").map((t) => t.id).sort()).toEqual(
      ready.tasks.filter((t) => t.lastStatus === "RUNNING").map((t) => t.id).sort(),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(stray.pid!)).toBe(false);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    // The attendee's kernel (and what it holds in memory) survives the restart too.
    expect(isAlive(kernelPid)).toBe(true);

    // An adopted worker that dies is still noticed and replaced.
    const worker = adopted.tasks.find((t) => t.role === "worker" && t.lastStatus === "RUNNING")!;
    const workerPid = findOwnedProcesses(dataDir).find((p) => fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes(`\0${worker.id}\0`))!.pid;
    process.kill(workerPid, "SIGKILL");
    await describeUntil(after, env, (s) => s.tasks.find((t) => t.id === worker.id)?.lastStatus === "STOPPED" && s.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING").length === 2);

    await after.destroy(env, "the test");
    await describeUntil(after, env, (s) => s.status === "DELETE_COMPLETE", 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(findOwnedProcesses(dataDir)).toEqual([]);
  });
});
