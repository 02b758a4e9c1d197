// Deploy-to-ready and teardown times of the local provider with real Dask processes:
// the same LocalProvider, settings and defaults the portal uses (scheduler, 2 workers,
// JupyterLab), driven through the Provider interface the portal's stream hub calls.
// Writes bench/local/results.json and bench/local/REPORT.md; `plot.py` draws the chart.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, it } from "vitest";
import { LocalProvider, localSettingsFromEnv } from "@/lib/providers/local";
import { findOwnedProcesses } from "@/lib/providers/local/processes";
import type { EnvironmentRef, EnvironmentSnapshot } from "@/lib/providers/types";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WORKERS = 2;
/** How often the bench asks for a snapshot; it bounds the resolution of every figure. */
const POLL_MS = 100;
const here = path.resolve("bench/local");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-local-"));

interface Run {
  run: number;
  clusterUpSeconds: number;
  readySeconds: number;
  teardownSeconds: number;
  /** Processes of this environment still alive when DELETE_COMPLETE was reported (should be 0). */
  leftoverProcesses: number;
}

const running = (s: EnvironmentSnapshot, role: "scheduler" | "worker") =>
  s.tasks.filter((t) => t.role === role && t.lastStatus === "RUNNING").length;

async function until(provider: LocalProvider, env: EnvironmentRef, done: (s: EnvironmentSnapshot) => boolean, limitMs = 180_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const snapshot = await provider.describe(env);
    if (done(snapshot)) return snapshot;
    if (snapshot.status.endsWith("FAILED") || Date.now() > deadline) {
      throw new Error(`stopped waiting: ${snapshot.status} ${snapshot.reason ?? ""}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function once(provider: LocalProvider, run: number): Promise<Run> {
  const id = `00000000-0000-4000-8000-${String(run).padStart(12, "0")}`;
  const env: EnvironmentRef = { id, stackName: `dask-bench-${run}`, attendeeId: "bench", attendeeEmail: "bench@example.org" };
  const start = performance.now();
  await provider.deploy(env, { workers: WORKERS });
  await until(provider, env, (s) => running(s, "scheduler") === 1 && running(s, "worker") === WORKERS);
  const clusterUp = performance.now();
  await until(provider, env, (s) => s.status === "CREATE_COMPLETE");
  const ready = performance.now();
  await provider.destroy(env, "the benchmark");
  await until(provider, env, (s) => s.status === "DELETE_COMPLETE");
  const gone = performance.now();
  const leftoverProcesses = findOwnedProcesses(dataDir).filter((p) => p.envId === id).length;
  const seconds = (ms: number) => Math.round(ms / 10) / 100;
  return {
    run,
    clusterUpSeconds: seconds(clusterUp - start),
    readySeconds: seconds(ready - start),
    teardownSeconds: seconds(gone - ready),
    leftoverProcesses,
  };
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: Math.round(median * 100) / 100, min: sorted[0], max: sorted[sorted.length - 1] };
}

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function machine() {
  const python = path.resolve(process.env.PORTAL_PYTHON_ENV ?? ".venv", "bin", "python");
  return {
    cpu: `${os.cpus()[0]?.model ?? "unknown"} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    dask: quiet(python, ["-c", "import dask, distributed, sys; print(f'dask {dask.__version__}, distributed {distributed.__version__}, Python {sys.version.split()[0]}')"]),
    load: os.loadavg().map((l) => l.toFixed(2)).join(" "),
    commit: `${quiet("git", ["rev-parse", "--short", "HEAD"])}${
      quiet("git", ["status", "--porcelain", "lib/providers/local"]) ? " with uncommitted changes to lib/providers/local" : ""
    }`,
  };
}

function report(runs: Run[], info: ReturnType<typeof machine>, settings: { graceMs: number; workerMemory: string }): string {
  const rows: [string, "clusterUpSeconds" | "readySeconds" | "teardownSeconds"][] = [
    ["Cluster up (scheduler + 2 workers RUNNING)", "clusterUpSeconds"],
    ["Deploy to ready (`CREATE_COMPLETE`, JupyterLab answering)", "readySeconds"],
    ["Teardown (`DELETE_COMPLETE`, every process gone)", "teardownSeconds"],
  ];
  const table = rows.map(([label, key]) => {
    const s = stats(runs.map((r) => r[key]));
    return `| ${label} | ${runs.length} | ${s.median.toFixed(2)} | ${s.min.toFixed(2)} | ${s.max.toFixed(2)} |`;
  });
  const perRun = runs.map(
    (r) => `| ${r.run} | ${r.clusterUpSeconds.toFixed(2)} | ${r.readySeconds.toFixed(2)} | ${r.teardownSeconds.toFixed(2)} | ${r.leftoverProcesses} |`,
  );
  return [
    "# Local provider: deploy and teardown times",
    "",
    `Generated by \`make bench-local\` on ${new Date().toISOString().slice(0, 10)}. Each run deploys one environment`,
    `with the local provider exactly as the portal does (\`LocalProvider\` with the portal's default settings:`,
    `a real \`dask scheduler\`, ${WORKERS} \`dask worker\`s with \`--memory-limit ${settings.workerMemory}\`, and a JupyterLab),`,
    `waits until it is ready, then tears it down and waits until every process is gone. Times are wall-clock`,
    `seconds from the \`deploy()\` / \`destroy()\` call, observed by asking \`describe()\` every ${POLL_MS} ms, so each`,
    `figure is at most ${POLL_MS} ms late. The provider itself advances an environment on a 500 ms supervision`,
    "tick, so the figures cluster near its multiples; the portal adds its own poll interval on top when",
    "showing a change in the browser. Runs are sequential; other work on the machine was not stopped",
    "(load average below).",
    "",
    "| measure | runs | median (s) | min (s) | max (s) |",
    "|---|---|---|---|---|",
    ...table,
    "",
    "![Deploy and teardown times per run](timings.png)",
    "",
    "Per run:",
    "",
    "| run | cluster up (s) | ready (s) | teardown (s) | processes left at DELETE_COMPLETE |",
    "|---|---|---|---|---|",
    ...perRun,
    "",
    `Teardown sends SIGTERM to each task's process group and SIGKILL after the grace period`,
    `(\`PORTAL_LOCAL_GRACE_MS\`, ${settings.graceMs} ms here), as ECS does with its stop timeout.`,
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${info.cpu} |`,
    `| memory | ${info.memory} |`,
    `| OS | ${info.os} |`,
    `| Node.js | ${info.node} |`,
    `| Python env | ${info.dask} |`,
    `| load average before the runs | ${info.load} |`,
    `| commit | ${info.commit} |`,
    "",
  ].join("\n");
}

afterAll(() => {
  // A run that failed half-way must not leave Dask processes behind.
  for (const p of findOwnedProcesses(dataDir)) {
    try {
      process.kill(-p.pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it(`times ${RUNS} deploy and teardown cycles of the local provider`, async () => {
  const info = machine();
  const settings = localSettingsFromEnv(dataDir);
  const provider = new LocalProvider(settings, { max: 4, default: 2 });
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await once(provider, run));
    console.log(JSON.stringify(runs[runs.length - 1]));
  }
  fs.writeFileSync(path.join(here, "results.json"), `${JSON.stringify({ machine: info, pollMs: POLL_MS, runs }, null, 2)}\n`);
  fs.writeFileSync(path.join(here, "REPORT.md"), report(runs, info, settings));
});
