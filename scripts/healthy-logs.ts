// `make healthy-logs`: records what a healthy local run writes, for the diagnosis
// catalogue's false-alarm test (lib/diagnosis/healthy/). A real local environment (the
// local provider: scheduler with its progress plugin, two workers, JupyterLab, all
// sandboxed, TLS) is deployed on generated sample data; a kernel is started and stopped
// through JupyterLab's REST API; the workshop notebook runs to its end against the
// scheduler (papermill, as the dress rehearsal runs it); the environment is torn down.
// The scheduler's, the workers' and JupyterLab's logs and the notebook run's output are
// then copied into the fixture folder as they were written. Run with
// `node --conditions=react-server --import tsx` so the portal's server-only modules load.
import { execFileSync } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalProvider, localSettingsFromEnv } from "@/lib/providers/local";
import type { EnvironmentRef } from "@/lib/providers/contract";

const FIXTURES = path.resolve("lib/diagnosis/healthy");

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-healthy-"));
  const sample = path.join(dataDir, "sample", "era5");
  const settings = { ...localSettingsFromEnv(dataDir), sampleDataUrl: sample };
  const python = path.join(settings.pythonEnv, "bin", "python");
  execFileSync(python, ["notebooks/generate_sample_data.py", "--base", sample, "--preset", "small"], { stdio: "inherit" });
  const provider = new LocalProvider(settings, { max: 2, default: 2 });
  const env: EnvironmentRef = { id: "healthy-run", stackName: "dask-healthy-run", attendeeId: "healthy", attendeeEmail: "healthy@example.org" };
  try {
    await provider.deploy(env, { workers: 2 });
    await until("the environment", async () => ((await provider.describe(env)).status === "CREATE_COMPLETE" ? true : undefined));
    await until("JupyterLab", async () => ((await provider.describe(env)).links.notebookReady ? true : undefined));

    const jupyter = provider.dashboardAccess.mode === "proxied" ? provider.dashboardAccess.target(env, "notebook") : undefined;
    if (jupyter?.via !== "socket") throw new Error("JupyterLab has no socket");
    // JupyterLab listens on its Unix socket only (its network namespace has no other way in).
    const base = `/environments/${env.id}/notebook`;
    const call = (route: string, method = "GET", body?: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request({ socketPath: jupyter.socketPath, path: `${base}${route}`, method, headers: jupyter.headers }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end(body);
      });
    await call("/api/status");
    await call("/api/contents");
    const kernel = JSON.parse(await call("/api/kernels", "POST", JSON.stringify({ name: "python3" }))) as { id: string };
    await new Promise((r) => setTimeout(r, 3000));
    await call(`/api/kernels/${kernel.id}`, "DELETE");

    const lines: string[] = [];
    const run = await provider.rehearsal.runNotebook(env, { years: [2021], months: [1], timeoutMs: 15 * 60_000, onLog: (l) => lines.push(l.text) });
    if (!run.ok) throw new Error(`the notebook did not run to its end: ${run.stoppedReason}`);

    await provider.destroy(env, "the healthy-log recorder");
    await until("the teardown", async () => ((await provider.describe(env)).status === "DELETE_COMPLETE" ? true : undefined));

    const envDir = path.join(settings.rootDir, env.id);
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const [from, to] of [
      ["scheduler-1.log", "scheduler.log"],
      ["worker-1.log", "worker-1.log"],
      ["worker-2.log", "worker-2.log"],
      ["notebook.log", "jupyterlab.log"],
    ]) {
      fs.copyFileSync(path.join(envDir, from), path.join(FIXTURES, to));
    }
    fs.writeFileSync(path.join(FIXTURES, "notebook-run.log"), `${lines.join("\n")}\n`);
    console.log(`healthy logs written to ${path.relative(process.cwd(), FIXTURES)}/`);
  } finally {
    provider.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
