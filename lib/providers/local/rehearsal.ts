import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { ProviderError, type EnvironmentRef, type NotebookRun, type NotebookRunOptions, type RehearsalTools } from "@/lib/providers/contract";
import type { LocalEnvironment, LocalSettings } from "./environment";
import type { ChildEnv } from "./processes";
import { readPlainFile } from "./box";

// The dress rehearsal locally: papermill from the portal's Python env runs the workshop
// notebook for real against the environment's scheduler, as the environment's own kernels
// run (its sandbox, its network namespace, its caps and its TLS certificates), on the local
// sample data, one month. The executed notebook is kept under <PORTAL_DATA_DIR>/rehearsals/
// beside the report.

export const NOTEBOOK_FILE = "era5-analysis.ipynb";

export function localRehearsal(settings: LocalSettings, environment: (env: EnvironmentRef) => LocalEnvironment | undefined): RehearsalTools {
  return {
    async runNotebook(env: EnvironmentRef, options: NotebookRunOptions): Promise<NotebookRun> {
      const local = environment(env);
      const address = local?.snapshot().links.schedulerAddress;
      if (!local || !address) throw new ProviderError("not_found", `The environment ${env.stackName} has no scheduler address yet.`);
      const outDir = path.join(settings.owner, "rehearsals");
      fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
      // The sandbox sees its own folder, not the repository's notebooks nor the reports.
      const workDir = path.join(local.box, "rehearsal");
      fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
      const input = path.join(workDir, NOTEBOOK_FILE);
      const output = path.join(workDir, "executed.ipynb");
      fs.copyFileSync(path.join(settings.notebooksDir, NOTEBOOK_FILE), input);
      const parameters = JSON.stringify({ scheduler_address: address, data_url: settings.sampleDataUrl, years: options.years, months: options.months });
      const args = ["-m", "papermill", input, output, "-k", "python3", "-y", parameters, "--log-output", "--no-progress-bar"];
      const run = local.asKernel(path.join(settings.pythonEnv, "bin", "python"), args, workDir);
      const childEnv: ChildEnv = { ...run.env, PYTHONUNBUFFERED: "1" };
      const child = spawn(run.command, run.args, {
        cwd: workDir,
        detached: true,
        env: childEnv as NodeJS.ProcessEnv,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let n = 0;
      // The notebook's own one-sentence errors (SetupError: …) say what to change; the last
      // error line papermill prints becomes the reason, so the report needs no log reading.
      let lastError: string | undefined;
      for (const stream of [child.stdout, child.stderr]) {
        readline.createInterface({ input: stream }).on("line", (text) => {
          const error = /\b([A-Z]\w*(?:Error|Exception): .+)$/.exec(text)?.[1];
          if (error && !/^PapermillExecutionError/.test(error)) lastError = error.slice(0, 500);
          options.onLog({ at: new Date().toISOString(), text, key: `notebook:${n++}` });
        });
      }
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // Already gone.
        }
      }, options.timeoutMs);
      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.on("error", (err) => {
          options.onLog({ at: new Date().toISOString(), text: `could not start papermill: ${err.message}`, key: `notebook:${n++}` });
          resolve({ code: null, signal: null });
        });
        child.on("close", (c, s) => resolve({ code: c, signal: s }));
      });
      clearTimeout(timer);
      // Read as a plain file only: the box is the sandbox's to write, links included.
      const executed = readPlainFile(output);
      if (executed !== undefined) fs.writeFileSync(path.join(outDir, `${env.id}.ipynb`), executed, { mode: 0o600 });
      const stoppedReason = timedOut
        ? `timed out after ${Math.round(options.timeoutMs / 60_000)} min`
        : signal
          ? `papermill was stopped by ${signal}`
          : code === 0
            ? undefined
            : lastError
              ? `the notebook stopped with ${lastError}`
              : "papermill exited with an error (see the log for the failing cell)";
      return {
        ok: code === 0 && !timedOut,
        exitCode: code,
        ...(stoppedReason ? { stoppedReason } : {}),
      };
    },
  };
}
