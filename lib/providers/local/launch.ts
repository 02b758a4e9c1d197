import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { LocalSettings } from "./environment";
import { ENV_MARKER, OWNER_MARKER, spawnInGroup, type ChildEnv, type Spawned } from "./processes";
import type { LocalState, TaskRecord } from "./state";

// The commands a local environment runs: `dask scheduler`, `dask worker` and JupyterLab,
// with the flags the ECS task definitions use, each in its own process group with its
// output appended to a log file the portal streams.

/** Only what Dask needs: the portal's own secrets never reach the processes it starts. */
function processEnv(settings: LocalSettings, envId: string): ChildEnv {
  return {
    PATH: `${path.join(settings.pythonEnv, "bin")}:${settings.inherited.PATH}`,
    HOME: settings.inherited.HOME,
    LANG: settings.inherited.LANG,
    PYTHONUNBUFFERED: "1",
    DASK_DISTRIBUTED__WORKER__DAEMON: "False",
    [ENV_MARKER]: envId,
    [OWNER_MARKER]: settings.owner,
  };
}

export function logFile(dir: string, taskId: string): string {
  return path.join(dir, `${taskId}.log`);
}

/** The last line `dask scheduler` and `dask worker` log once they have closed cleanly on SIGTERM. */
const CLOSED_LINE = /End (scheduler|worker)\s*$/;

/** Whether the task's log ends with its clean-close line: nothing of it is left to wait for. */
export function closedCleanly(dir: string, taskId: string): boolean {
  try {
    const fd = fs.openSync(logFile(dir, taskId), "r");
    try {
      const size = fs.fstatSync(fd).size;
      const tail = Buffer.alloc(Math.min(size, 256));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      return CLOSED_LINE.test(tail.toString("utf8"));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Whether the Python env the tasks run from exists (made by `make pyenv`). */
export function pythonEnvReady(settings: LocalSettings): boolean {
  return fs.existsSync(path.join(settings.pythonEnv, "bin", "dask"));
}

/** Starts a scheduler or worker task's process. */
export function launchTask(settings: LocalSettings, dir: string, state: LocalState, task: TaskRecord): Spawned {
  const dask = path.join(settings.pythonEnv, "bin", "dask");
  const { ports } = state;
  const args =
    task.role === "scheduler"
      ? ["scheduler", "--host", "127.0.0.1", "--port", String(ports.scheduler), "--dashboard-address", `127.0.0.1:${ports.dashboard}`]
      : [
          "worker",
          `tcp://127.0.0.1:${ports.scheduler}`,
          "--name", task.id,
          "--host", "127.0.0.1",
          "--nthreads", "1",
          "--memory-limit", settings.workerMemory,
          "--death-timeout", "60",
          "--no-nanny",
          "--no-dashboard",
          "--local-directory", path.join(dir, "scratch"),
        ];
  return spawnInGroup(dask, args, { env: processEnv(settings, state.envId), logFile: logFile(dir, task.id), cwd: dir });
}

/** Starts JupyterLab on the attendee's own copy of the workshop notebooks, connected to their scheduler. */
export function launchNotebook(settings: LocalSettings, dir: string, state: LocalState): Spawned {
  const workDir = path.join(dir, "notebooks");
  if (!fs.existsSync(workDir)) {
    // The attendee edits a copy, never the workshop's own notebook.
    fs.cpSync(settings.notebooksDir, workDir, {
      recursive: true,
      filter: (src) => !/(__pycache__|\.ipynb_checkpoints|tests?$)/.test(path.basename(src)),
    });
  }
  const jupyter = path.join(settings.pythonEnv, "bin", "jupyter");
  return spawnInGroup(
    jupyter,
    [
      "lab",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${state.ports.notebook}`,
      `--ServerApp.root_dir=${workDir}`,
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      // Containers and CI run as root; JupyterLab refuses that unless told it is intended.
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
    ],
    {
      env: {
        ...processEnv(settings, state.envId),
        JUPYTER_TOKEN: state.notebookToken,
        JUPYTER_RUNTIME_DIR: path.join(dir, "jupyter-runtime"),
        DASK_SCHEDULER_ADDRESS: `tcp://127.0.0.1:${state.ports.scheduler}`,
        ERA5_DATA_URL: settings.sampleDataUrl,
      },
      logFile: path.join(dir, "notebook.log"),
      cwd: workDir,
    },
  );
}
