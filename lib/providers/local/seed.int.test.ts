// The room's seed plants each environment's zygote in a sandbox made for it. It runs as root
// outside every sandbox, so what it refuses, and what the zygote it plants is left with, are
// what keeps an attendee's scheduler and workers in their sandbox.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localSettingsFromEnv } from "./index";
import { insideUser, writeMinimalEtc } from "./minimal-etc";
import { ENV_MARKER, OWNER_MARKER, isAlive, markersOf, signalGroup, spawnInGroup } from "./processes";
import { probedSandbox, pythonEnvDirs, sandboxed } from "./sandbox";
import { roomSeed, waitForHolder, type PlantRequest } from "./seed";
import { readExit, requestTask } from "./zygote";
import { stopLocal } from "@/test/support/local";

const NAMESPACES = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"] as const;
const nsOf = (pid: number | "self", kind: string) => fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
const statusOf = (pid: number) => Object.fromEntries(fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").map((line) => line.split(/:\s*/, 2)));

async function until<T>(find: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the room's seed", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-seed-"));
  const settings = localSettingsFromEnv(dataDir, { ...process.env, PORTAL_LOCAL_ISOLATION: "sandbox" });
  const box = path.join(dataDir, "box");
  const socketDir = path.join(settings.socketRoot, "seed-test");
  const etcDir = path.join(dataDir, "etc");
  const seed = roomSeed(settings);
  const chains: number[] = [];

  function request(holder: number): PlantRequest {
    return {
      holder,
      groups: [],
      socket: path.join(socketDir, "tasks.sock"),
      log: path.join(box, "zygote.log"),
      cwd: box,
      env: { PATH: "/usr/bin:/bin", HOME: box, [ENV_MARKER]: "seed-test-env", [OWNER_MARKER]: settings.owner },
    };
  }

  /** A sandbox as an environment's is made (no group or network namespace), holding only `sleep`. */
  async function sandboxHolder(): Promise<{ chain: number; holder: number }> {
    const { bwrap } = probedSandbox(settings.inherited.PATH ?? "/usr/bin:/bin");
    if (!bwrap) throw new Error("bubblewrap is needed: `make bubblewrap`");
    const readOnly = [...pythonEnvDirs(settings.pythonEnv), settings.localPythonDir];
    const run = sandboxed(bwrap, { envDir: box, socketDir, etcDir, readOnly }, "sleep", ["infinity"], box);
    const chain = spawnInGroup(run.command, run.args, { env: { PATH: "/usr/bin:/bin" }, logFile: path.join(dataDir, "holder.log"), cwd: box }).pid;
    chains.push(chain);
    return { chain, holder: await waitForHolder(chain, Date.now() + 20_000) };
  }

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("the seed plants zygotes only for a portal running as root");
    for (const dir of [box, socketDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeMinimalEtc(etcDir, insideUser(), "");
  });

  afterAll(() => {
    for (const chain of chains) signalGroup(chain, "SIGKILL");
    seed.stop();
    stopLocal(dataDir);
    fs.rmSync(socketDir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("plants a zygote in the holder's namespaces, with no capability and no way to gain one, that forks tasks there", async () => {
    const { holder } = await sandboxHolder();
    const zygote = await seed.plant(request(holder));
    // The portal tells its processes by their environment's markers, from the moment the seed
    // answers: a zygote it could not tell as its own would be taken for dead and started again.
    expect(markersOf(zygote)).toEqual({ envId: "seed-test-env", owner: settings.owner });
    for (const kind of NAMESPACES) expect({ kind, ns: nsOf(zygote, kind) }).toEqual({ kind, ns: nsOf(holder, kind) });
    for (const kind of ["user", "mnt", "pid"]) expect(nsOf(zygote, kind)).not.toBe(nsOf("self", kind));
    // It sees the sandbox's file system, not the host's.
    expect(fs.readFileSync(`/proc/${zygote}/mountinfo`, "utf8")).toBe(fs.readFileSync(`/proc/${holder}/mountinfo`, "utf8"));
    const status = statusOf(zygote);
    expect([status.CapInh, status.CapPrm, status.CapEff, status.CapBnd, status.CapAmb]).toEqual(Array(5).fill("0000000000000000"));
    expect(status.NoNewPrivs).toBe("1");
    expect(status.Groups.trim()).toBe("");

    const exit = path.join(box, "help.exit");
    const inner = await requestTask(
      request(holder).socket,
      { role: "worker", args: ["--help"], env: {}, log: path.join(box, "help.log"), exit, cwd: box },
      { deadline: Date.now() + 20_000, alive: () => isAlive(zygote) },
    );
    expect(inner).toBeGreaterThan(1);
    expect(await until(() => readExit(box, "help"), "the task's exit")).toEqual({ code: 0, signal: null });
    expect(fs.readFileSync(path.join(box, "help.log"), "utf8")).toMatch(/Usage: dask worker/);
  });

  it("refuses a holder in no sandbox of its own, and a process that is no holder", async () => {
    const plain = spawnInGroup("sleep", ["infinity"], { env: { PATH: "/usr/bin:/bin" }, logFile: path.join(dataDir, "plain.log"), cwd: dataDir }).pid;
    chains.push(plain);
    await until(() => (fs.readFileSync(`/proc/${plain}/comm`, "utf8").trim() === "sleep" ? true : undefined), "sleep");
    const socket = path.join(socketDir, "refused.sock");
    await expect(seed.plant({ ...request(plain), socket })).rejects.toThrow(/shares the seed's user namespace: it is in no sandbox/);
    await expect(seed.plant({ ...request(process.pid), socket })).rejects.toThrow(/is not a sandbox's holder/);
    expect(fs.existsSync(socket)).toBe(false);
  });
});
