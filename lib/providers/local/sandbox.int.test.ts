// Two attendees' environments on one machine, and the code attendee A runs in A's sandbox
// (run as A's JupyterLab runs its kernels: the same bubblewrap wrapper and environment).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUntil } from "../provider-contract";
import type { EnvironmentRef } from "../types";
import { LocalProvider, localSettingsFromEnv } from "./index";
import { environmentCommand, notebookEnv } from "./launch";
import { findOwnedProcesses } from "./processes";
import { loadState } from "./state";
import { tlsFiles } from "./tls";

const ref = (id: string, name: string): EnvironmentRef => ({ id, stackName: `dask-${name}-cccccc`, attendeeId: name, attendeeEmail: `${name}@example.com` });

describe("an attendee's environment in its sandbox", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-"));
  const settings = { ...localSettingsFromEnv(dataDir, { ...process.env, PORTAL_LOCAL_ISOLATION: "sandbox" }), graceMs: 3000 };
  const provider = new LocalProvider(settings, { max: 2, default: 1 });
  const a = ref("aaaaaaaa-0000-4000-8000-00000000000a", "alice");
  const b = ref("bbbbbbbb-0000-4000-8000-00000000000b", "bob");
  const dirOf = (env: EnvironmentRef) => path.join(settings.rootDir, env.id);
  const python = path.join(settings.pythonEnv, "bin", "python");
  const secretsFile = path.join(dataDir, "secrets.json");
  const database = path.join(dataDir, "portal.sqlite");

  /** Runs Python code in A's sandbox with what A's kernels get in their environment; its JSON output. */
  function inA(code: string): Record<string, unknown> {
    const dir = dirOf(a);
    const run = environmentCommand(settings, dir, python, ["-c", code], path.join(dir, "notebooks"));
    const out = spawnSync(run.command, run.args, { env: notebookEnv(settings, dir, loadState(dir)!) as NodeJS.ProcessEnv, encoding: "utf8" });
    if (out.status !== 0) throw new Error(`python in A's sandbox failed: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split("\n").pop()!);
  }

  beforeAll(async () => {
    // What the portal keeps in its data folder, beside the environments.
    fs.writeFileSync(secretsFile, JSON.stringify({ FACILITATOR_PASSWORD: "pw-in-the-data-folder" }), { mode: 0o600 });
    fs.writeFileSync(database, "SQLite format 3\0", { mode: 0o600 });
    await provider.deploy(a, { workers: 1 });
    await provider.deploy(b, { workers: 1 });
    for (const env of [a, b]) await describeUntil(provider, env, (s) => s.status === "CREATE_COMPLETE" && s.links.notebookReady === true, 150_000);
  }, 200_000);

  afterAll(async () => {
    await Promise.all([provider.destroy(a, "the test"), provider.destroy(b, "the test")]);
    for (const env of [a, b]) await describeUntil(provider, env, (s) => s.status === "DELETE_COMPLETE", 30_000);
    for (const p of findOwnedProcesses(dataDir)) process.kill(-p.pgid, "SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("cannot read the portal's secrets, its database or another attendee's folder, but can read its own", () => {
    const paths = {
      secrets: secretsFile,
      database,
      otherState: path.join(dirOf(b), "state.json"),
      otherKey: tlsFiles(dirOf(b)).key,
      otherNotebook: path.join(dirOf(b), "notebooks", "era5-analysis.ipynb"),
      ownState: path.join(dirOf(a), "state.json"),
    };
    const code = [
      "import json, sys",
      `paths = ${JSON.stringify(paths)}`,
      "out = {}",
      "for name, p in paths.items():",
      "    try:",
      "        open(p, 'rb').read(1); out[name] = 'read'",
      "    except OSError as e:",
      "        out[name] = type(e).__name__",
      "print(json.dumps(out))",
    ].join("\n");
    expect(inA(code)).toEqual({
      secrets: "FileNotFoundError",
      database: "FileNotFoundError",
      otherState: "FileNotFoundError",
      otherKey: "FileNotFoundError",
      otherNotebook: "FileNotFoundError",
      ownState: "read",
    });
  });

  it("computes on its own scheduler with its certificates, and cannot use B's (with A's certificates or none)", async () => {
    const addressOf = async (env: EnvironmentRef) => (await provider.describe(env)).links.schedulerAddress!;
    const [mine, theirs] = [await addressOf(a), await addressOf(b)];
    expect(mine).toMatch(/^tls:\/\//);
    const code = [
      "import json, os",
      "import dask, dask.array as da",
      "from distributed import Client",
      "def attempt(address, **config):",
      "    try:",
      "        with dask.config.set(config), Client(address, timeout=5) as c:",
      "            return int(da.arange(1000, chunks=100).sum().compute())",
      "    except Exception as e:",
      "        return type(e).__name__",
      `print(json.dumps({`,
      `    'own': attempt(os.environ['DASK_SCHEDULER_ADDRESS']),`,
      `    'otherWithOwnCerts': attempt(${JSON.stringify(theirs)}),`,
      `    'otherPlainTcp': attempt(${JSON.stringify(theirs.replace("tls://", "tcp://"))}),`,
      "}))",
    ].join("\n");
    const said = inA(code);
    expect(said.own).toBe(499500);
    expect(typeof said.otherWithOwnCerts).toBe("string");
    expect(typeof said.otherPlainTcp).toBe("string");
    expect(mine).not.toBe(theirs);
  });

  it("cannot signal the portal's process, and sees none of the portal's or B's processes", () => {
    const code = [
      "import json, os, signal",
      "try:",
      `    os.kill(${process.pid}, signal.SIGTERM); killed = 'signalled'`,
      "except OSError as e:",
      "    killed = type(e).__name__",
      "pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]",
      // Every process but bubblewrap's init (pid 1) and this one, whose command lines hold this very code.
      "cmds = [open(f'/proc/{p}/cmdline', 'rb').read().decode(errors='replace') for p in pids if p not in (1, os.getpid())]",
      `print(json.dumps({'kill': killed, 'seesOther': any(${JSON.stringify(b.id)} in c for c in cmds), 'pids': sorted(pids)}))`,
    ].join("\n");
    const said = inA(code);
    expect(said.kill).toBe("ProcessLookupError");
    expect(said.seesOther).toBe(false);
    // bubblewrap's own init and this Python: nothing of the machine's.
    expect(said.pids).toEqual([1, 2]);
  });

  it("runs JupyterLab as a user that is not root inside its sandbox, without --allow-root", () => {
    const lab = findOwnedProcesses(dataDir).filter(({ pid }) => {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return cmd.some((part) => part.endsWith("/jupyter") || part.endsWith("jupyter-lab")) && !cmd[0].endsWith("bwrap");
    });
    expect(lab.length).toBeGreaterThanOrEqual(2);
    for (const { pid } of lab) {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      expect(cmd).not.toContain("--allow-root");
      // The uid the process has in its own user namespace: its uid here, translated by its uid_map.
      const outside = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
      const map = fs.readFileSync(`/proc/${pid}/uid_map`, "utf8").trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
      const line = map.find(([, start, count]) => outside >= start && outside < start + count)!;
      const inside = line[0] + (outside - line[1]);
      expect(inside).not.toBe(0);
    }
  });
});
