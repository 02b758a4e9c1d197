import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type NotebookRun, type NotebookRunOptions, type RehearsalTools } from "../types";
import type { LocalSettings } from "./environment";
import { daskTlsEnv, tlsFiles } from "./tls";

// The dress rehearsal locally: papermill from the portal's Python env runs the workshop
// notebook for real against the environment's scheduler, with the environment's own TLS
// certificates (as its JupyterLab kernel connects) and the local sample data, one month.
// The executed notebook is kept under <PORTAL_DATA_DIR>/rehearsals/ beside the report.

export const NOTEBOOK_FILE = "era5-analysis.ipynb";

export function localRehearsal(settings: LocalSettings, describe: (env: EnvironmentRef) => Promise<EnvironmentSnapshot>): RehearsalTools {
  return {
    async runNotebook(env: EnvironmentRef, options: NotebookRunOptions): Promise<NotebookRun> {
      const address = (await describe(env)).links.schedulerAddress;
      if (!address) throw new ProviderError("not_found", `The environment ${env.stackName} has no scheduler address yet.`);
      const outDir = path.join(settings.owner, "rehearsals");
      fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
      const parameters = JSON.stringify({ scheduler_address: address, data_url: settings.sampleDataUrl, years: options.years, months: options.months });
      const args = ["-m", "papermill", path.join(settings.notebooksDir, NOTEBOOK_FILE), path.join(outDir, `${env.id}.ipynb`), "-k", "python3", "-y", parameters, "--log-output", "--no-progress-bar"];
      const childEnv: Record<string, string | undefined> = { ...settings.inherited, ...daskTlsEnv(tlsFiles(path.join(settings.rootDir, env.id))), PYTHONUNBUFFERED: "1" };
      const child = spawn(path.join(settings.pythonEnv, "bin", "python"), args, {
        cwd: outDir,
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
