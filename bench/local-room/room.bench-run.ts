// A room on one machine: how long one environment takes from the deploy click to ready and
// back, against the raw floor (a scheduler, two workers and a connected client started
// directly), and what 20 environments deployed at once cost in time and memory. Uses the
// same LocalProvider the portal uses, through the Provider interface its stream hub calls.
// Writes bench/local-room/results.json and REPORT.md; `plot.py` draws the chart.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, it } from "vitest";
import { LocalProvider, localSettingsFromEnv } from "@/lib/providers/local";
import { formatMiB, type EnvironmentRef, type EnvironmentSnapshot } from "@/lib/providers/contract";
import { residentByEnvironment } from "@/lib/providers/local/capacity";
import { findOwnedProcesses, freePort } from "@/lib/providers/local/processes";
import { comparisonTable, loadBefore, sidesTable } from "../support/before-after";
import { machine, machineSection, median, type Machine } from "../support/machine";
import { loadProxyResults, proxySection } from "./proxy-report";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOM = Number(process.env.BENCH_ROOM ?? 20);
const ROOM_WORKER_MEMORY = "256MiB";
/** How often the bench asks for a snapshot; it bounds the resolution of every figure. */
const POLL_MS = 25;
const here = path.resolve("bench/local-room");
const python = path.resolve(process.env.PORTAL_PYTHON_ENV ?? ".venv", "bin");
const dataDirs: string[] = [];
const started: ChildProcess[] = [];

const seconds = (ms: number) => Math.round(ms / 10) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-room-"));
  dataDirs.push(dir);
  return dir;
}

function ref(n: number, tag: string): EnvironmentRef {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return { id, stackName: `dask-${tag}-${n}`, attendeeId: `bench-${n}`, attendeeEmail: "bench@example.org" };
}

async function until(provider: LocalProvider, env: EnvironmentRef, done: (s: EnvironmentSnapshot) => boolean, limitMs = 300_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const snapshot = await provider.describe(env);
    if (done(snapshot)) return snapshot;
    if (snapshot.status.endsWith("FAILED") || Date.now() > deadline) throw new Error(`stopped waiting: ${snapshot.status} ${snapshot.reason ?? ""}`);
    await sleep(POLL_MS);
  }
}

// ---- the raw floor: the same processes started by hand, no portal in between

/** Starts a process group; resolves with its exit. */
function start(command: string, args: string[]): { child: ChildProcess; exited: Promise<void> } {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, DASK_DISTRIBUTED__WORKER__DAEMON: "False" };
  const child = spawn(command, args, { stdio: "ignore", detached: true, env: env as NodeJS.ProcessEnv });
  started.push(child);
  return { child, exited: new Promise((resolve) => child.once("exit", () => resolve())) };
}

interface FloorRun {
  readySeconds: number;
  teardownSeconds: number;
}

/** Scheduler, two workers and a client that waits for both workers, all started at once. */
async function floorOnce(): Promise<FloorRun> {
  const [port, dashboard] = await Promise.all([freePort(), freePort()]);
  const address = `tcp://127.0.0.1:${port}`;
  const dask = path.join(python, "dask");
  const t0 = performance.now();
  const scheduler = start(dask, ["scheduler", "--host", "127.0.0.1", "--port", String(port), "--dashboard-address", `127.0.0.1:${dashboard}`]);
  const workers = [1, 2].map((i) =>
    start(dask, ["worker", address, "--name", `w${i}`, "--nthreads", "1", "--memory-limit", "2GiB", "--no-nanny", "--no-dashboard"]),
  );
  const client = start(path.join(python, "python"), [
    "-c",
    `from distributed import Client; c = Client("${address}", timeout=60); c.wait_for_workers(2, timeout=60); c.close()`,
  ]);
  await client.exited;
  const ready = performance.now();
  if (client.child.exitCode !== 0) throw new Error(`the floor's client failed (exit ${client.child.exitCode})`);
  // Workers first, then their scheduler, as the portal does: a worker whose scheduler
  // has gone can hang in its close.
  for (const p of workers) process.kill(-p.child.pid!, "SIGTERM");
  await Promise.all(workers.map((p) => p.exited));
  process.kill(-scheduler.child.pid!, "SIGTERM");
  await scheduler.exited;
  return { readySeconds: seconds(ready - t0), teardownSeconds: seconds(performance.now() - ready) };
}

// ---- one environment through the provider, as a deploy click does

interface SingleRun {
  readySeconds: number;
  notebookSeconds: number;
  teardownSeconds: number;
  leftoverProcesses: number;
}

async function singleOnce(provider: LocalProvider, dataDir: string, n: number): Promise<SingleRun> {
  const env = ref(n, "single");
  const t0 = performance.now();
  await provider.deploy(env, { workers: provider.defaultWorkers });
  await until(provider, env, (s) => s.status === "CREATE_COMPLETE");
  const ready = performance.now();
  await until(provider, env, (s) => s.links.notebookReady === true);
  const notebook = performance.now();
  const t1 = performance.now();
  await provider.destroy(env, "the benchmark");
  await until(provider, env, (s) => s.status === "DELETE_COMPLETE");
  const gone = performance.now();
  return {
    readySeconds: seconds(ready - t0),
    notebookSeconds: seconds(notebook - t0),
    teardownSeconds: seconds(gone - t1),
    leftoverProcesses: findOwnedProcesses(dataDir).filter((p) => p.envId === env.id).length,
  };
}

// ---- a room deployed at once

interface Room {
  environments: number;
  workerMemory: string;
  workersEach: number;
  allReadySeconds: number;
  allNotebooksSeconds: number;
  readySeconds: number[];
  residentMiB: number[];
  fitReported: number;
  teardownSeconds: number;
  leftoverProcesses: number;
}

async function roomOnce(): Promise<Room> {
  const dataDir = tempDataDir();
  const settings = localSettingsFromEnv(dataDir, {
    ...process.env,
    PORTAL_LOCAL_WORKER_MEMORY: ROOM_WORKER_MEMORY,
    PORTAL_LOCAL_CREATE_TIMEOUT_MS: "300000",
  });
  const provider = new LocalProvider(settings, { max: 4, default: 1 });
  const envs = Array.from({ length: ROOM }, (_, i) => ref(i + 1, "room"));
  const t0 = performance.now();
  const readySeconds = await Promise.all(
    envs.map(async (env) => {
      provider.capacity.admit(1);
      await provider.deploy(env, { workers: 1 });
      await until(provider, env, (s) => s.status === "CREATE_COMPLETE").catch((err: Error) => {
        const dir = path.join(dataDir, "local", env.id);
        const logs = [dir, path.join(dir, "box")].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((n) => path.join(d, n)) : []));
        for (const f of [...logs.filter((n) => /\/(scheduler|worker|zygote)[^/]*\.(log|exit)$/.test(n)), path.join(settings.rootDir, "seed.log")]) {
          if (fs.existsSync(f)) console.error(`==== ${env.id} ${path.relative(dataDir, f)}\n${fs.readFileSync(f, "utf8").slice(-3000)}`);
        }
        throw err;
      });
      return seconds(performance.now() - t0);
    }),
  );
  const allReady = performance.now();
  await Promise.all(envs.map((env) => until(provider, env, (s) => s.links.notebookReady === true)));
  const allNotebooks = performance.now();
  await sleep(2_000);
  const resident = residentByEnvironment(findOwnedProcesses(dataDir));
  const fitReported = provider.capacity.report().fit;
  const t1 = performance.now();
  await Promise.all(envs.map((env) => provider.destroy(env, "the benchmark")));
  await Promise.all(envs.map((env) => until(provider, env, (s) => s.status === "DELETE_COMPLETE")));
  const gone = performance.now();
  return {
    environments: ROOM,
    workerMemory: ROOM_WORKER_MEMORY,
    workersEach: 1,
    allReadySeconds: seconds(allReady - t0),
    allNotebooksSeconds: seconds(allNotebooks - t0),
    readySeconds: readySeconds.sort((a, b) => a - b),
    residentMiB: [...resident.values()].map((m) => Math.round(m)).sort((a, b) => a - b),
    fitReported,
    teardownSeconds: seconds(gone - t1),
    leftoverProcesses: findOwnedProcesses(dataDir).length,
  };
}

// ---- the report

function report(floor: FloorRun[], single: SingleRun[], room: Room, info: Machine, workerMemory: string): string {
  const row = (label: string, values: number[]) =>
    `| ${label} | ${values.length} | ${median(values).toFixed(2)} | ${Math.min(...values).toFixed(2)} | ${Math.max(...values).toFixed(2)} |`;
  const mem = room.residentMiB;
  return [
    "# A room on one machine: speed and capacity of the local provider",
    "",
    `Generated by \`make bench-local-room\` on ${new Date().toISOString().slice(0, 10)} (one run of the script; other work on`,
    "the machine was not stopped: load average below). Times are wall-clock seconds observed by asking the provider's",
    `\`describe()\` every ${POLL_MS} ms; the page hears each change through the environment stream, which the provider nudges`,
    "as soon as an environment's state file or logs change (plus the browser's own SSE delivery).",
    "",
    `## One environment (scheduler, ${single.length ? "2" : "?"} workers with \`--memory-limit ${workerMemory}\`, JupyterLab), median of ${RUNS}`,
    "",
    "| measure | runs | median (s) | min (s) | max (s) |",
    "|---|---|---|---|---|",
    row("Raw floor: scheduler + 2 workers + a client that sees both, started directly", floor.map((r) => r.readySeconds)),
    row("Deploy to ready (`CREATE_COMPLETE`: both workers registered)", single.map((r) => r.readySeconds)),
    row("Deploy to notebook link live (JupyterLab answers)", single.map((r) => r.notebookSeconds)),
    row("Raw floor teardown (SIGTERM, all exited)", floor.map((r) => r.teardownSeconds)),
    row("Teardown (`DELETE_COMPLETE`, every process gone)", single.map((r) => r.teardownSeconds)),
    "",
    `Processes of the environment left at \`DELETE_COMPLETE\`: ${single.map((r) => r.leftoverProcesses).join(", ")} (per run).`,
    "",
    "The floor's client is a Python process too, so its import time is in the floor; the portal's figure",
    "is observed from Node. The floor's teardown waits for each process to exit; the provider stops a task",
    "as soon as it has logged its clean close (`End worker`, `End scheduler`) and kills what is left (the",
    "interpreter's own shutdown, which takes a second or more on a busy machine).",
    "",
    "![One environment against the floor, and a room of 20 becoming ready](timings.png)",
    "",
    `## ${room.environments} environments deployed at once (${room.workersEach} worker each, \`--memory-limit ${room.workerMemory}\`)`,
    "",
    "| measure | value |",
    "|---|---|",
    `| all ${room.environments} \`CREATE_COMPLETE\` | ${room.allReadySeconds.toFixed(2)} s (first ${room.readySeconds[0].toFixed(2)} s, median ${median(room.readySeconds).toFixed(2)} s) |`,
    `| all ${room.environments} notebooks answering | ${room.allNotebooksSeconds.toFixed(2)} s |`,
    `| resident memory per environment (all its processes, idle, VmRSS) | median ${formatMiB(median(mem))}, min ${formatMiB(mem[0])}, max ${formatMiB(mem[mem.length - 1])} |`,
    `| resident memory of the room | ${formatMiB(mem.reduce((a, b) => a + b, 0))} |`,
    `| environments the capacity card says fit with these settings | ${room.fitReported} |`,
    `| teardown of all ${room.environments} | ${room.teardownSeconds.toFixed(2)} s, ${room.leftoverProcesses} processes left |`,
    "",
    "Each environment starts one Python interpreter cold, JupyterLab; its scheduler and worker are forked from",
    "its zygote, which a portal running as root plants in the environment's sandbox from the room's one warm",
    "seed (docs/local-isolation.md, \"The room's seed\"), so the room imports Dask once rather than once per",
    "environment. JupyterLab starts at the lowest CPU priority within its environment's group and is raised",
    "once it answers, so the notebooks of a room come up mostly after its clusters.",
    "",
    "Earlier runs, with what was written about them, are in [EARLIER.md](EARLIER.md).",
    "",
    ...beforeSection(floor, single, room, info),
    ...proxySection(loadProxyResults()),
    ...machineSection(info),
  ].join("\n");
}

/** The same bench on the code before the change, from the same session, when kept. */
function beforeSection(floor: FloorRun[], single: SingleRun[], room: Room, info: Machine): string[] {
  const before = loadBefore<{ floor: FloorRun[]; single: SingleRun[]; room: Room }>(here);
  if (!before) return [];
  const med = <T>(runs: T[], pick: (r: T) => number) => median(runs.map(pick));
  const b = before.room;
  return [
    "## Before and after the change, same session",
    "",
    `One run of the script on each side, one after the other; one environment: medians of ${before.single.length} and ${single.length} runs.`,
    "The earlier run's figures are in `results-before.json`; the chart draws both.",
    "",
    ...comparisonTable([
      ["Raw floor ready (no portal: the load's own measure)", med(before.floor, (r) => r.readySeconds), med(floor, (r) => r.readySeconds)],
      ["One environment: deploy to ready", med(before.single, (r) => r.readySeconds), med(single, (r) => r.readySeconds)],
      ["One environment: notebook link live", med(before.single, (r) => r.notebookSeconds), med(single, (r) => r.notebookSeconds)],
      ["One environment: teardown", med(before.single, (r) => r.teardownSeconds), med(single, (r) => r.teardownSeconds)],
      [`Room: all ${room.environments} \`CREATE_COMPLETE\``, b.allReadySeconds, room.allReadySeconds],
      [`Room: median environment \`CREATE_COMPLETE\``, median(b.readySeconds), median(room.readySeconds)],
      [`Room: all ${room.environments} notebooks answering`, b.allNotebooksSeconds, room.allNotebooksSeconds],
      [`Room: teardown of all ${room.environments}`, b.teardownSeconds, room.teardownSeconds],
    ]),
    "",
    ...comparisonTable([["Room: resident memory per environment, median (VmRSS, shared pages counted in each process)", median(b.residentMiB), median(room.residentMiB)]], "MiB"),
    "",
    ...sidesTable(before.machine, info),
    "",
  ];
}

afterAll(() => {
  // A run that failed half-way must not leave Dask processes behind.
  for (const dir of dataDirs) {
    for (const p of findOwnedProcesses(dir)) {
      try {
        process.kill(-p.pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const child of started) {
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

it(`times one environment against the raw floor, and a room of ${ROOM}`, async () => {
  const info = machine();
  const floor: FloorRun[] = [];
  const single: SingleRun[] = [];
  const dataDir = tempDataDir();
  const settings = localSettingsFromEnv(dataDir);
  const provider = new LocalProvider(settings, { max: 4, default: 2 });
  // Alternate floor and portal runs, so a burst of load elsewhere hits both alike.
  for (let n = 1; n <= RUNS; n++) {
    floor.push(await floorOnce());
    single.push(await singleOnce(provider, dataDir, n));
    console.log(JSON.stringify({ floor: floor.at(-1), single: single.at(-1) }));
  }
  const room = await roomOnce();
  console.log(JSON.stringify(room));
  const results = { machine: info, pollMs: POLL_MS, floor, single, room, proxyOverhead: loadProxyResults() };
  fs.writeFileSync(path.join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(here, "REPORT.md"), report(floor, single, room, info, settings.workerMemory));
});
