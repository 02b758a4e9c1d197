// Two attendees' environments on one machine, and the code attendee A runs in A's environment
// (run as A's JupyterLab runs its kernels: the same group, network namespace, sandbox and
// environment variables). Nothing here sends a packet off this machine: what must be
// unreachable on loopback is tried, and what the namespace refuses elsewhere is read from its
// rules and its routing decisions (`ip route get` looks a route up; it sends nothing).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUntil } from "../provider-contract";
import { proxiedBase, type EnvironmentRef } from "@/lib/providers/contract";
import { BLOCKED_IPV4, BLOCKED_IPV6 } from "./network";
import { OUT_OF_MEMORY_REASON } from "./environment";
import { LocalProvider, localSettingsFromEnv } from "./index";
import { dashboardSocket } from "./launch";
import { insideUser } from "./minimal-etc";
import { findOwnedProcesses, markersOf } from "./processes";
import { pythonEnvDirs } from "./sandbox";
import { getOverSocket } from "./scheduler-api";
import { loadState } from "./state";
import { prohibited, reachCode, routesCode, type Rule } from "@/test/support/reach";
import { tlsFiles } from "./tls";
import { stopLocal } from "@/test/support/local";

const ref = (id: string, name: string): EnvironmentRef => ({ id, stackName: `dask-${name}-cccccc`, attendeeId: name, attendeeEmail: `${name}@example.com` });

describe("an attendee's environment in its sandbox", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-"));
  // Small caps, so that one process can pass them in a moment: 1 worker × 256 MiB + 512 MiB.
  const env = { ...process.env, PORTAL_LOCAL_ISOLATION: "sandbox", PORTAL_LOCAL_WORKER_MEMORY: "256MiB", PORTAL_LOCAL_NOTEBOOK_MEMORY: "512MiB", PORTAL_LOCAL_CPUS: "1" };
  const settings = { ...localSettingsFromEnv(dataDir, env), graceMs: 3000 };
  const provider = new LocalProvider(settings, { max: 2, default: 1 });
  const a = ref("aaaaaaaa-0000-4000-8000-00000000000a", "alice");
  const b = ref("bbbbbbbb-0000-4000-8000-00000000000b", "bob");
  const dirOf = (e: EnvironmentRef) => path.join(settings.rootDir, e.id);
  /** The folder of it the sandbox sees and writes (box.ts). */
  const boxOf = (e: EnvironmentRef) => path.join(dirOf(e), "box");
  const python = path.join(settings.pythonEnv, "bin", "python");
  const secretsFile = path.join(dataDir, "secrets.json");
  const database = path.join(dataDir, "portal.sqlite");
  /** A service of the host's own, on its loopback, as the portal's port is. */
  const hostService = net.createServer((socket) => socket.end("host\n"));

  /** Python code run as the environment's kernels run: its exit and its last line of output as JSON. */
  function run(e: EnvironmentRef, code: string): { status: number | null; signal: NodeJS.Signals | null; said: Record<string, unknown> | null; stderr: string } {
    const kernel = provider.asKernel(e, python, ["-c", code], path.join(boxOf(e), "notebooks"))!;
    const out = spawnSync(kernel.command, kernel.args, { env: kernel.env as NodeJS.ProcessEnv, encoding: "utf8", timeout: 120_000 });
    const last = out.stdout.trim().split("\n").pop();
    return { status: out.status, signal: out.signal, said: last ? (JSON.parse(last) as Record<string, unknown>) : null, stderr: out.stderr };
  }

  function inA(code: string): Record<string, unknown> {
    const out = run(a, code);
    if (out.status !== 0) throw new Error(`python in A's sandbox failed: ${out.stderr}`);
    return out.said!;
  }

  beforeAll(async () => {
    // What the portal keeps in its data folder, beside the environments.
    // Written as scripts/start.mjs writes it: one secret per line.
    fs.writeFileSync(secretsFile, JSON.stringify({ FACILITATOR_PASSWORD: "pw-in-the-data-folder" }, null, 2), { mode: 0o600 });
    fs.writeFileSync(database, "SQLite format 3\0", { mode: 0o600 });
    await new Promise<void>((resolve) => hostService.listen(0, "127.0.0.1", resolve));
    const isolated = await provider.isolation();
    if (!isolated.deploysAllowed) throw new Error(`this machine cannot isolate environments: ${isolated.parts.map((p) => p.message).join(" ")}`);
    await provider.deploy(a, { workers: 1 });
    await provider.deploy(b, { workers: 1 });
    for (const e of [a, b]) await describeUntil(provider, e, (s) => s.status === "CREATE_COMPLETE" && s.links.notebookReady === true, 150_000);
  }, 200_000);

  afterAll(async () => {
    hostService.close();
    await Promise.all([provider.destroy(a, "the test"), provider.destroy(b, "the test")]);
    for (const e of [a, b]) await describeUntil(provider, e, (s) => s.status === "DELETE_COMPLETE", 30_000);
    stopLocal(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("cannot read the portal's secrets, its database or another attendee's folder, but can read its own", () => {
    const paths = {
      secrets: secretsFile,
      database,
      otherState: path.join(dirOf(b), "state.json"),
      otherKey: tlsFiles(boxOf(b)).key,
      otherNotebook: path.join(boxOf(b), "notebooks", "era5-analysis.ipynb"),
      // The portal's own record of A's environment sits beside A's box, out of A's reach.
      ownState: path.join(dirOf(a), "state.json"),
      ownStackEvents: path.join(dirOf(a), "stack-events.jsonl"),
      ownNotebook: path.join(boxOf(a), "notebooks", "era5-analysis.ipynb"),
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
      ownState: "FileNotFoundError",
      ownStackEvents: "FileNotFoundError",
      ownNotebook: "read",
    });
  });

  it("sees an /etc of the portal's making, without shadow, and nothing of the host's /root but the Python it runs", () => {
    const said = inA(
      [
        "import json, os",
        "root = sorted(os.path.join(d, f) for d, dirs, files in os.walk('/root') for f in dirs + files) if os.path.exists('/root') else []",
        "print(json.dumps({'etc': sorted(os.listdir('/etc')), 'shadow': os.path.exists('/etc/shadow'), 'root': root[:2000]}))",
      ].join("\n"),
    );
    expect(said.shadow).toBe(false);
    expect(said.etc).toEqual(["group", "hosts", "localtime", "nsswitch.conf", "passwd", "resolv.conf", "ssl"].filter((f) => f !== "localtime" || fs.existsSync("/etc/localtime")));
    // Whatever is visible under /root leads to, or is part of, the Python env it runs (pyenv keeps interpreters there), nothing else of the host's.
    const bound = pythonEnvDirs(settings.pythonEnv);
    for (const p of said.root as string[]) expect(bound.some((dir) => dir.startsWith(`${p}/`) || p === dir || p.startsWith(`${dir}/`)), p).toBe(true);
  });

  it("computes on its own scheduler with its certificates, and cannot use B's (with A's certificates or none)", async () => {
    const addressOf = async (e: EnvironmentRef) => (await provider.describe(e)).links.schedulerAddress!;
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
  });

  it("reaches nothing on the host's loopback: not its services, not B's scheduler or dashboard, not B's JupyterLab socket", () => {
    const stateB = loadState(dirOf(b))!;
    const { port } = hostService.address() as net.AddressInfo;
    // The test itself reaches the host's service: it is there to be reached.
    expect(spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port} && echo up`], { encoding: "utf8" }).stdout.trim()).toBe("up");
    const said = inA(
      reachCode(
        { hostService: ["127.0.0.1", port], schedulerB: ["127.0.0.1", stateB.ports.scheduler], dashboardB: ["127.0.0.1", stateB.ports.dashboard] },
        { notebookB: path.join(stateB.isolation.socketDir, "notebook.sock") },
      ),
    );
    expect(said).toEqual({ hostService: "ConnectionRefusedError", schedulerB: "ConnectionRefusedError", dashboardB: "ConnectionRefusedError", notebookB: "FileNotFoundError" });
  });

  it("has rules that refuse private, shared and link-local ranges and this machine's own addresses, and cannot change them", () => {
    const representatives = ["10.0.0.1", "10.0.2.2", "172.16.0.1", "172.31.255.254", "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1", "fe80::1"];
    const own = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((i) => !i.internal).map((i) => i.address.split("%")[0]));
    const said = inA(routesCode([...representatives, ...own, "8.8.8.8", "10.0.2.3"]));
    expect(prohibited(said.v4 as Rule[])).toEqual(expect.arrayContaining(BLOCKED_IPV4));
    expect(prohibited(said.v6 as Rule[])).toEqual(expect.arrayContaining(BLOCKED_IPV6));
    // Every refusal comes before the main routing table.
    for (const rule of [...(said.v4 as Rule[]), ...(said.v6 as Rule[])].filter((r) => r.action === "prohibit")) expect(rule.priority).toBeLessThan(32766);
    const route = said.route as Record<string, { rc: number; out: string; err: string }>;
    for (const address of [...representatives, ...own]) {
      expect(route[address].rc, address).not.toBe(0);
      expect(route[address].err, address).toMatch(/Permission denied|Network is unreachable/);
    }
    // The way out is the internet (through slirp4netns's gateway), and its DNS forwarder.
    expect(route["8.8.8.8"].out).toMatch(/via 10\.0\.2\.2 dev tap0/);
    expect(route["10.0.2.3"].rc).toBe(0);
    const deleting = inA("import json, subprocess\nr = subprocess.run(['ip', 'rule', 'del', 'pref', '200', 'to', '10.0.0.0/8', 'prohibit'], capture_output=True, text=True)\nprint(json.dumps({'err': r.stderr.strip()}))");
    expect(deleting.err).toMatch(/Operation not permitted/);
  });

  it("holds every process of the environment, its kernels included, in one group with its memory and CPU caps", () => {
    const group = loadState(dirOf(a))!.isolation.group!;
    expect(Number(fs.readFileSync(path.join(group.memory, "memory.limit_in_bytes"), "utf8"))).toBe((256 + 512) * 2 ** 20);
    expect(Number(fs.readFileSync(path.join(group.cpu, "cpu.cfs_quota_us"), "utf8"))).toBe(100_000);
    const members = new Set(fs.readFileSync(path.join(group.memory, "cgroup.procs"), "utf8").trim().split("\n").map(Number));
    const ofA = findOwnedProcesses(dataDir).filter((p) => p.envId === a.id && !/slirp4netns/.test(fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8")));
    expect(ofA.length).toBeGreaterThanOrEqual(3);
    for (const p of ofA) expect(members.has(p.pid), `pid ${p.pid}`).toBe(true);
  });

  it("stops a kernel that allocates past A's cap, alone: B's kernel computing at the same time finishes, A's cluster runs on, and A's page can say so", async () => {
    const computeB = [
      "import json, os",
      "import dask.array as da",
      "from distributed import Client",
      "with Client(os.environ['DASK_SCHEDULER_ADDRESS'], timeout=30) as c:",
      "    x = da.ones((2000, 2000), chunks=500)",
      "    totals = [int((x * i).sum().compute()) for i in range(1, 21)]",
      "print(json.dumps({'total': sum(totals)}))",
    ].join("\n");
    const greedyA = "import numpy as np\nheld = []\nfor _ in range(64):\n    held.append(np.ones(8 * 2**20))\nprint('{\"survived\": true}')";
    const started = (e: EnvironmentRef, code: string) => {
      const kernel = provider.asKernel(e, python, ["-c", code], path.join(boxOf(e), "notebooks"))!;
      const child = spawn(kernel.command, kernel.args, { env: kernel.env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += d));
      return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout })));
    };
    const [b1, a1] = await Promise.all([started(b, computeB), started(a, greedyA)]);
    // 64 × 64 MiB is 4 GiB against A's 768 MiB: killed by the kernel's OOM killer (SIGKILL, 137 through bubblewrap).
    expect(a1.code === 137 || a1.signal === "SIGKILL", JSON.stringify(a1)).toBe(true);
    expect(a1.stdout).not.toContain("survived");
    expect(b1.code).toBe(0);
    expect(JSON.parse(b1.stdout.trim().split("\n").pop()!)).toEqual({ total: 4_000_000 * 210 });
    const after = await describeUntil(provider, a, (s) => s.caps?.outOfMemory !== undefined, 30_000);
    expect(after.caps).toMatchObject({ memoryMiB: 768, cpus: 1, outOfMemory: { stopped: "kernel" } });
    expect(after.status).toBe("CREATE_COMPLETE");
    expect(after.tasks.filter((t) => t.lastStatus === "RUNNING")).toHaveLength(2);
    expect((await provider.describe(b)).caps?.outOfMemory).toBeUndefined();
  });

  it("stops a worker whose task takes more than B's cap with ECS's OutOfMemoryError, and starts another in its place", async () => {
    const hog = [
      "import os",
      "from distributed import Client",
      "def hog():",
      "    import numpy as np",
      "    return len([np.ones(8 * 2**20) for _ in range(64)])",
      "with Client(os.environ['DASK_SCHEDULER_ADDRESS'], timeout=30) as c:",
      "    c.submit(hog, pure=False).result()",
    ].join("\n");
    const kernel = provider.asKernel(b, python, ["-c", hog], path.join(boxOf(b), "notebooks"))!;
    const client = spawn(kernel.command, kernel.args, { env: kernel.env as NodeJS.ProcessEnv, stdio: "ignore", detached: true });
    try {
      const hit = await describeUntil(provider, b, (s) => s.tasks.some((t) => t.stoppedReason === OUT_OF_MEMORY_REASON), 90_000);
      expect(hit.caps?.outOfMemory).toMatchObject({ stopped: "task", taskId: expect.stringMatching(/^worker-/) });
      expect(hit.tasks.find((t) => t.id === hit.caps?.outOfMemory?.taskId)?.stoppedReason).toBe(OUT_OF_MEMORY_REASON);
    } finally {
      // The client goes (its whole group: bubblewrap and what runs inside), and with it the task it asked for.
      process.kill(-client.pid!, "SIGKILL");
    }
    await describeUntil(provider, b, (s) => s.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING").length === 1, 60_000);
  });

  it("leads the portal nowhere with links it plants in its box: the next worker's log linked to the portal's secrets streams none of them", async () => {
    const next = loadState(dirOf(a))!.nextWorker;
    // What a kernel can do in its own folder: the next worker's log and the dashboard's socket become links.
    inA(
      [
        "import json, os",
        `box = ${JSON.stringify(boxOf(a))}`,
        `os.symlink(${JSON.stringify(secretsFile)}, os.path.join(box, 'worker-${next}.log'))`,
        "print(json.dumps({'planted': True}))",
      ].join("\n"),
    );
    let cursor: string | null = null;
    const texts: string[] = [];
    const read = async () => {
      const batch = await provider.events(a, cursor);
      cursor = batch.cursor;
      for (const event of batch.events) if (event.kind === "log") texts.push(event.text);
    };
    await read();
    await provider.scale(a, 2);
    const scaled = await describeUntil(provider, a, (s) => s.tasks.some((t) => t.id === `worker-${next}` && (t.lastStatus === "RUNNING" || t.lastStatus === "STOPPED")), 60_000);
    for (let i = 0; i < 5; i++) await read();
    expect(scaled.tasks.some((t) => t.id === `worker-${next}`)).toBe(true);
    expect(texts.join("\n")).not.toContain("pw-in-the-data-folder");
    expect(fs.readFileSync(secretsFile, "utf8")).toContain("pw-in-the-data-folder");
    await provider.scale(a, 1);
    await describeUntil(provider, a, (s) => s.tasks.filter((t) => t.role === "worker" && t.desiredStatus === "RUNNING").length === 1, 60_000);
  });

  it("gets nothing of B's dashboard should a link it swaps in win the race with the portal's socket check: B serves no path of A's", async () => {
    // The portal checks a dashboard's socket is no link, then connects (docs/local-isolation.md):
    // a link swapped in between sends that one request, for A's paths, to B's socket.
    const bSocket = dashboardSocket(loadState(dirOf(b))!);
    // null: no answer within 10 s.
    const get = async (url: string, headers: Record<string, string> = {}) => (await getOverSocket(bSocket, url, headers, 10_000))?.status ?? null;
    const aBase = proxiedBase(a.id, "dashboard");
    const bBase = proxiedBase(b.id, "dashboard");
    // What B serves under its own paths, for comparison.
    expect(await get(`${bBase}/health`)).toBe(200);
    expect(await get(`${bBase}/json/identity.json`)).toBe(200);
    const asked = ["/status", "/health", "/json/identity.json", "/json/counts.json", "/individual-plots.json", "/info/main/workers.html", "/statics/css/base.css", "/workers", "/", "/../../" + bBase.slice(1) + "/health", "/%2e%2e/%2e%2e/" + b.id + "/dashboard/health"];
    const answers = await Promise.all(asked.map(async (p) => [p, await get(aBase + p)] as const));
    expect(answers).toEqual(asked.map((p) => [p, 404]));
    // The Bokeh WebSocket of A's status page is refused too.
    expect(await get(`${aBase}/status/ws`, { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" })).toBe(404);
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

  it("runs its scheduler and workers from the room's one seed, planted in its own sandbox: no capability, no user namespace to make, nothing of the portal's or B's in sight", () => {
    // One seed for the room, outside every sandbox.
    const seeds = fs.readdirSync("/proc").filter((p) => {
      try {
        return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("portal_zygote.py\0--seed\0") && markersOf(Number(p)).owner === settings.owner;
      } catch {
        return false;
      }
    });
    expect(seeds).toHaveLength(1);
    const planted = [a, b].map((e) => {
      const state = loadState(dirOf(e))!;
      expect(state.zygote.planted).toEqual(expect.any(Number));
      const pid = state.zygote.planted!;
      // In its own environment's network namespace, and a mount namespace of its own.
      expect(fs.readlinkSync(`/proc/${pid}/ns/net`)).toBe(`net:[${fs.statSync(`/run/netns/${state.isolation.namespace}`).ino}]`);
      return { pid, mnt: fs.readlinkSync(`/proc/${pid}/ns/mnt`) };
    });
    expect(planted[0].mnt).not.toBe(planted[1].mnt);
    expect(planted[0].mnt).not.toBe(fs.readlinkSync("/proc/self/ns/mnt"));
    // What A's code finds when it runs in one of A's workers rather than in a kernel.
    const probe = [
      "import ctypes, json, os",
      "from distributed import Client",
      `PORTAL_FILES = ${JSON.stringify([secretsFile, database])}`,
      "def read(p):",
      "    try:",
      "        return open(p, errors='replace').read()",
      "    except OSError:",
      "        return ''",
      "def look():",
      "    status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines())",
      "    libc = ctypes.CDLL(None, use_errno=True)",
      "    return {",
      "        'caps': sorted({status[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')}),",
      "        'noNewPrivs': status['NoNewPrivs'].strip(),",
      "        'uid': os.getuid(),",
      // CLONE_NEWUSER: refused (bubblewrap's --disable-userns holds for the planted zygote too).
      "        'newUserNamespace': libc.unshare(0x10000000),",
      // The file's content, not its name: the test before plants a link there that the next
      // worker's log was opened through, which made an empty file of that name in this sandbox's /tmp.
      "        'secrets': any('pw-in-the-data-folder' in read(p) for p in PORTAL_FILES),",
      "        'database': read(PORTAL_FILES[1]).startswith('SQLite format 3'),",
      `        'otherBox': os.path.exists(${JSON.stringify(boxOf(b))}),`,
      "        'root': sorted(os.listdir('/')),",
      "    }",
      "with Client(os.environ['DASK_SCHEDULER_ADDRESS'], timeout=30) as c:",
      "    print(json.dumps(list(c.run(look).values())[0]))",
    ].join("\n");
    const kernelRoot = inA("import json, os\nprint(json.dumps({'root': sorted(os.listdir('/'))}))").root;
    const worker = inA(probe);
    expect(worker).toEqual({
      caps: ["0000000000000000"],
      noNewPrivs: "1",
      uid: insideUser().uid,
      newUserNamespace: -1,
      secrets: false,
      database: false,
      otherBox: false,
      root: kernelRoot,
    });
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
