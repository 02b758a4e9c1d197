// A machine that cannot give environments a network namespace or caps (not root, no
// delegation): deploys are refused with how to fix it, unless the operator accepts the weaker
// mode; then environments run, in their sandboxes, on the machine's network and uncapped, and
// say so. And PORTAL_LOCAL_ISOLATION=none, for a single-user machine.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stopLocal } from "@/test/support/local";
import { describeUntil } from "../provider-contract";
import type { EnvironmentRef } from "@/lib/providers/contract";
import { LocalProvider, localSettingsFromEnv } from "./index";
import type { IsolationProbes } from "./isolation";
import { probedSandbox } from "./sandbox";
import { loadState } from "./state";

const ref = (id: string): EnvironmentRef => ({ id, stackName: "dask-weaker-dddddd", attendeeId: "d", attendeeEmail: "d@example.com" });

describe("environments on a machine that cannot isolate them fully", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-weaker-"));
  const python = path.resolve(".venv/bin/python");
  /** What such a machine's probes find: bubblewrap works, the rest does not. */
  const probes = (): Promise<IsolationProbes> =>
    Promise.resolve({
      sandbox: probedSandbox(process.env.PATH ?? "/usr/bin:/bin"),
      network: { tools: null, error: "this machine will not make a network namespace per environment (mount --make-shared /run/netns failed: Operation not permitted)" },
      caps: { layout: null, error: "the portal cannot make cgroup-v2 groups here (EACCES: permission denied)" },
    });
  const provider = (env: Record<string, string>) => new LocalProvider({ ...localSettingsFromEnv(dataDir, { ...process.env, ...env }), graceMs: 3000 }, { max: 2, default: 1 }, probes());

  afterAll(() => {
    stopLocal(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses deploys, saying how to fix each missing part, until the weaker modes are accepted", async () => {
    const strict = provider({});
    await expect(strict.deploy(ref("dddddddd-0000-4000-8000-000000000001"), { workers: 1 })).rejects.toThrow(
      /Operation not permitted.*PORTAL_LOCAL_ACCEPT=shared-network.*EACCES.*Delegate=yes.*PORTAL_LOCAL_ACCEPT=uncapped/,
    );
    expect((await strict.isolation()).parts.map((p) => [p.part, p.state])).toEqual([["sandbox", "ok"], ["network", "missing"], ["caps", "missing"]]);
  });

  it("with PORTAL_LOCAL_ACCEPT=shared-network,uncapped runs sandboxed environments on the machine's network, uncapped, and says so", async () => {
    const weaker = provider({ PORTAL_LOCAL_ACCEPT: "shared-network,uncapped" });
    expect((await weaker.isolation()).parts.map((p) => [p.part, p.state])).toEqual([["sandbox", "ok"], ["network", "weaker"], ["caps", "weaker"]]);
    const env = ref("dddddddd-0000-4000-8000-000000000002");
    await weaker.deploy(env, { workers: 1 });
    const ready = await describeUntil(weaker, env, (s) => s.status === "CREATE_COMPLETE" && s.links.notebookReady === true, 150_000);
    expect(ready.caps).toBeUndefined();
    expect(loadState(path.join(dataDir, "local", env.id))!.isolation).toMatchObject({ sandboxed: true, namespace: null, group: null });
    // Its kernel still reaches its own scheduler, with its certificates, as before namespaces.
    const kernel = weaker.asKernel(env, python, ["-c", "import os\nfrom distributed import Client\nwith Client(os.environ['DASK_SCHEDULER_ADDRESS'], timeout=30) as c: print(c.submit(sum, [1, 2]).result())"])!;
    expect(execFileSync(kernel.command, kernel.args, { env: kernel.env as NodeJS.ProcessEnv, encoding: "utf8" }).trim()).toBe("3");
    await weaker.destroy(env, "the test");
    await describeUntil(weaker, env, (s) => s.status === "DELETE_COMPLETE", 30_000);
  });

  it("with PORTAL_LOCAL_ISOLATION=none runs environments as the portal's own processes", async () => {
    const none = provider({ PORTAL_LOCAL_ISOLATION: "none" });
    expect((await none.isolation()).mode).toBe("none");
    const env = ref("dddddddd-0000-4000-8000-000000000003");
    await none.deploy(env, { workers: 1 });
    await describeUntil(none, env, (s) => s.status === "CREATE_COMPLETE" && s.links.notebookReady === true, 150_000);
    expect(loadState(path.join(dataDir, "local", env.id))!.isolation).toMatchObject({ sandboxed: false, namespace: null, group: null });
    await none.destroy(env, "the test");
    await describeUntil(none, env, (s) => s.status === "DELETE_COMPLETE", 30_000);
  });
});
