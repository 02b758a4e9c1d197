import "server-only";
import fs from "node:fs";
import path from "node:path";
import { proxiedBase } from "@/lib/providers/contract";
import { openPlainFile } from "./box";
import { groupProcsFiles, joinGroup } from "./caps";
import type { LocalSettings } from "./environment";
import type { Isolation } from "./isolation";
import { joinNamespace } from "./network";
import { ENV_MARKER, OWNER_MARKER, setTreePriority, spawnInGroup, type ChildEnv, type Spawned } from "./processes";
import { pythonEnvDirs, sandboxed } from "./sandbox";
import type { LocalState, TaskRecord } from "./state";
import { daskTlsArgs, daskTlsEnv, tlsFiles } from "./tls";
import type { PlantRequest } from "./seed";
import { exitFile, zygoteSocket, type TaskRequest } from "./zygote";

// The commands a local environment runs: `dask scheduler`, `dask worker` and JupyterLab, with
// the flags the ECS task definitions use, each in its own process group with its output
// appended to a log file the portal streams. JupyterLab and the environment's zygote (which
// forks the scheduler and workers, zygote.ts) each join the environment's control group
// (caps.ts) and network namespace (network.ts), then start in its bubblewrap sandbox
// (sandbox.ts); JupyterLab and the dashboard listen on Unix sockets the portal's proxy uses.

/** Where the environment's servers listen for the portal. */
export function notebookSocket(state: LocalState): string {
  return path.join(state.isolation.socketDir, "notebook.sock");
}

export function dashboardSocket(state: LocalState): string {
  return path.join(state.isolation.socketDir, "dashboard.sock");
}

/** Only what Dask needs: the portal's own secrets never reach the processes it starts. */
function processEnv(settings: LocalSettings, envId: string, dir: string): ChildEnv {
  return {
    PATH: `${path.join(settings.pythonEnv, "bin")}:${settings.inherited.PATH}`,
    // A HOME of its own: start-up files planted there run in this environment only.
    HOME: path.join(dir, "home"),
    LANG: settings.inherited.LANG,
    PYTHONUNBUFFERED: "1",
    // The repository's plugin folders are read-only in a sandbox; unsandboxed, they stay clean too.
    PYTHONDONTWRITEBYTECODE: "1",
    DASK_DISTRIBUTED__WORKER__DAEMON: "False",
    [ENV_MARKER]: envId,
    [OWNER_MARKER]: settings.owner,
  };
}

/** What starting one of an environment's processes needs: the portal's settings, what this machine allows, the environment's folder and state. */
export interface EnvironmentContext {
  settings: LocalSettings;
  isolation: Isolation;
  /** The environment's box (box.ts): the one folder of it the sandbox sees, and may write. */
  box: string;
  state: LocalState;
}

/**
 * Starts one of the environment's processes as environmentCommand says. The pid is the first
 * of the chain (which becomes bubblewrap), leading the process group; signalling the group
 * reaches what runs inside.
 */
function spawnInEnvironment(ctx: EnvironmentContext, command: string, args: string[], opts: { env: ChildEnv; logFile: string; cwd: string; nice?: number }): Spawned {
  fs.mkdirSync(path.join(ctx.box, "home"), { recursive: true, mode: 0o700 });
  const wrapped = environmentCommand(ctx, command, args, opts.cwd);
  // `nice` execs what follows: the pid is still the one that leads the group.
  if (opts.nice) return spawnInGroup("nice", ["-n", String(opts.nice), wrapped.command, ...wrapped.args], opts);
  return spawnInGroup(wrapped.command, wrapped.args, opts);
}

/**
 * The command line that runs `command` as the environment's processes run (its kernels, the
 * dress rehearsal, the tests): in its control group, its network namespace and its sandbox,
 * as its state records.
 */
export function environmentCommand({ settings, isolation, box, state }: EnvironmentContext, command: string, args: string[], cwd: string): { command: string; args: string[] } {
  const own = state.isolation;
  if (!own.sandboxed) return { command, args };
  // LocalProvider refuses deploys before this point; this only guards a tool removed since start.
  if (!isolation.bwrap) throw new Error("bubblewrap is not usable on this machine; the environment cannot start isolated.");
  if (own.namespace && !isolation.network) throw new Error("this machine no longer makes network namespaces; the environment cannot start isolated.");
  const readOnly = [...pythonEnvDirs(settings.pythonEnv), settings.pluginDir, settings.localPythonDir];
  if (path.isAbsolute(settings.sampleDataUrl)) readOnly.push(settings.sampleDataUrl);
  const inner = sandboxed(isolation.bwrap, { envDir: box, socketDir: own.socketDir, etcDir: settings.etcDir, readOnly }, command, args, cwd);
  const chain = [...(own.group ? joinGroup(own.group) : []), ...(own.namespace && isolation.network ? joinNamespace(isolation.network, own.namespace) : []), inner.command, ...inner.args];
  return { command: chain[0], args: chain.slice(1) };
}

/** The scheduler's address, which every client of the environment needs its certificates for. */
export function schedulerAddress(state: LocalState): string {
  return `tls://127.0.0.1:${state.ports.scheduler}`;
}

export function logFile(dir: string, taskId: string): string {
  return path.join(dir, `${taskId}.log`);
}

/** The last line `dask scheduler` and `dask worker` log once they have closed cleanly on SIGTERM. */
const CLOSED_LINE = /End (scheduler|worker)\s*$/;

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

/** Whether the task's log ends with its clean-close line: nothing of it is left to wait for. */
export function closedCleanly(dir: string, taskId: string): boolean {
  try {
    const fd = openPlainFile(logFile(dir, taskId), "read");
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

/**
 * The pins the Python env was built from, as `make pyenv` wrote them to `<env>/pins`; the
 * progress plugin reports them so the portal can tell a cluster built from other pins.
 */
export function pythonEnvPins(settings: LocalSettings): string | undefined {
  try {
    return fs.readFileSync(path.join(settings.pythonEnv, "pins"), "utf8").trim().slice(0, 64) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the scheduler alone gets: its progress plugin (docker/workshop_progress.py) and its
 * dashboard's socket (python/portal_dashboard_socket.py) on the path, and the pins.
 */
function schedulerEnv(settings: LocalSettings, state: LocalState, dir: string): ChildEnv {
  const pins = pythonEnvPins(settings);
  return {
    ...processEnv(settings, state.envId, dir),
    PYTHONPATH: `${settings.pluginDir}:${settings.localPythonDir}`,
    DASK_PORTAL_DASHBOARD_SOCKET: dashboardSocket(state),
    ...(pins ? { DASK_WORKSHOP_PINS: pins } : {}),
  };
}

/** What the zygote is asked to start for a scheduler or worker task: `dask scheduler` or `dask worker` with the task definitions' flags. */
export function taskRequest({ settings, box: dir, state }: EnvironmentContext, task: TaskRecord): TaskRequest {
  const { ports } = state;
  // Comms are TLS with the environment's own certificates; the dashboard stays HTTP on loopback.
  const tls = ["--protocol", "tls", ...daskTlsArgs(tlsFiles(dir))];
  const args =
    task.role === "scheduler"
      ? [
          "--host", "127.0.0.1",
          "--port", String(ports.scheduler),
          "--dashboard-address", `127.0.0.1:${ports.dashboard}`,
          // Served through the portal's content origin (lib/content) under this path, so its
          // pages and Bokeh WebSocket ask for addresses the portal forwards.
          "--dashboard-prefix", proxiedBase(state.envId, "dashboard"),
          // Writes the progress lines the portal's checks and roster read from this log.
          "--preload", "workshop_progress",
          // Listens on a Unix socket too: the portal's way in to the environment's network.
          "--preload", "portal_dashboard_socket",
          ...tls,
        ]
      : [
          schedulerAddress(state),
          ...tls,
          "--name", task.id,
          "--host", "127.0.0.1",
          "--nthreads", "1",
          "--memory-limit", settings.workerMemory,
          "--death-timeout", "60",
          "--no-nanny",
          "--no-dashboard",
          "--local-directory", path.join(dir, "scratch"),
        ];
  const env = task.role === "scheduler" ? schedulerEnv(settings, state, dir) : processEnv(settings, state.envId, dir);
  return { role: task.role, args, env, log: logFile(dir, task.id), exit: exitFile(dir, task.id), cwd: dir };
}

/** Starts the environment's zygote, which its scheduler and worker tasks are forked from (zygote.ts). */
export function launchZygote(ctx: EnvironmentContext): Spawned {
  const { settings, box: dir, state } = ctx;
  const python = path.join(settings.pythonEnv, "bin", "python");
  const script = path.join(settings.localPythonDir, "portal_zygote.py");
  return spawnInEnvironment(ctx, python, [script, "--socket", zygoteSocket(state)], {
    env: processEnv(settings, state.envId, dir),
    logFile: path.join(dir, "zygote.log"),
    cwd: dir,
  });
}

/**
 * Starts the environment's sandbox with only a holder in it (`sleep infinity`), for the room's
 * seed to plant the zygote in (seed.ts): the chain, its group and its sandbox are the zygote's
 * own would have been, and signalling the chain's group ends the sandbox and all in it.
 */
export function launchHolder(ctx: EnvironmentContext): Spawned {
  const { settings, box: dir, state } = ctx;
  return spawnInEnvironment(ctx, "sleep", ["infinity"], {
    env: processEnv(settings, state.envId, dir),
    logFile: path.join(dir, "zygote.log"),
    cwd: dir,
  });
}

/** What the room's seed is asked to plant in the holder's sandbox: the zygote `launchZygote` would start. */
export function plantRequest(ctx: EnvironmentContext, holder: number): PlantRequest {
  const { settings, box: dir, state } = ctx;
  const group = state.isolation.group;
  return {
    holder,
    groups: group ? groupProcsFiles(group) : [],
    socket: zygoteSocket(state),
    log: path.join(dir, "zygote.log"),
    cwd: dir,
    env: processEnv(settings, state.envId, dir),
  };
}

/** What JupyterLab and so every kernel it starts gets in its environment. */
export function notebookEnv(settings: LocalSettings, dir: string, state: LocalState): ChildEnv {
  return {
    ...processEnv(settings, state.envId, dir),
    JUPYTER_TOKEN: state.notebookToken,
    JUPYTER_RUNTIME_DIR: path.join(dir, "jupyter-runtime"),
    // The kernel's Client(DASK_SCHEDULER_ADDRESS) picks these up through Dask's config.
    DASK_SCHEDULER_ADDRESS: schedulerAddress(state),
    ...daskTlsEnv(tlsFiles(dir)),
    ERA5_DATA_URL: settings.sampleDataUrl,
    // client.dashboard_link in the notebook: the portal's path, opened beside the notebook.
    DASK_DISTRIBUTED__DASHBOARD__LINK: `${proxiedBase(state.envId, "dashboard")}/status`,
  };
}

/**
 * JupyterLab's start-up (about 4 CPU-seconds of imports) is not part of an environment being
 * ready, yet it ran beside the zygote's imports and the tasks' start at the same priority: in
 * a room deployed at once, 20 JupyterLabs took half of two cores from 20 clusters. So it starts
 * at the lowest priority and is raised to the normal one once it answers (raiseNotebook), where
 * a kernel started later inherits it. Starting it after the cluster instead would cost a single
 * environment its notebook's whole start-up time; at low priority it costs it nothing while a
 * core is free. Nice values weigh threads against others of the same CPU group: with caps
 * (caps.ts) JupyterLab yields to its own environment's cluster only, and takes its group's share
 * once that cluster is idle. Only a portal allowed to raise a priority again (root) lowers it.
 */
const NOTEBOOK_STARTING_NICE = 19;

function notebookStartsLow(): boolean {
  return process.getuid?.() === 0;
}

/** JupyterLab answers: it and what it starts from now on run at the normal priority. */
export function raiseNotebook(pid: number): void {
  if (!notebookStartsLow()) return;
  try {
    setTreePriority(pid, 0);
  } catch (err) {
    // The notebook still works, only slower; its supervision must go on.
    console.error(`could not raise JupyterLab (pid ${pid}) to the normal priority:`, (err as Error).message);
  }
}

/** Starts JupyterLab on the attendee's own copy of the workshop notebooks, connected to their scheduler. */
export function launchNotebook(ctx: EnvironmentContext): Spawned {
  const { settings, box: dir, state } = ctx;
  const workDir = path.join(dir, "notebooks");
  // Only ever into a folder that is not there at all: a link the sandbox left in its place
  // (even one pointing nowhere) is never copied through.
  if (!lstatOrUndefined(workDir)) {
    // The attendee edits a copy, never the workshop's own notebook.
    fs.cpSync(settings.notebooksDir, workDir, {
      recursive: true,
      filter: (src) => !/(__pycache__|\.ipynb_checkpoints|tests?$)/.test(path.basename(src)),
    });
  }
  const jupyter = path.join(settings.pythonEnv, "bin", "jupyter");
  return spawnInEnvironment(
    ctx,
    jupyter,
    [
      "lab",
      "--no-browser",
      // The portal's proxy is its only client: a socket only the portal (and this sandbox) reaches.
      `--ServerApp.sock=${notebookSocket(state)}`,
      "--ServerApp.sock_mode=0600",
      // Its Host check guards a server browsers reach themselves; this one only the portal reaches, for
      // any content origin's name (<id>.PORTAL_CONTENT_DOMAIN), and the portal decides who may.
      "--ServerApp.allow_remote_access=True",
      `--ServerApp.root_dir=${workDir}`,
      // Served through the portal's content origin (lib/content), which adds the token to
      // every request; the browser's Host and Origin reach JupyterLab unchanged.
      `--ServerApp.base_url=${proxiedBase(state.envId, "notebook")}/`,
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      // Only an unisolated portal running as root needs this: in the sandbox the user is never root.
      ...(!state.isolation.sandboxed && process.getuid?.() === 0 ? ["--allow-root"] : []),
    ],
    {
      env: notebookEnv(settings, dir, state),
      logFile: path.join(dir, "notebook.log"),
      cwd: workDir,
      nice: notebookStartsLow() ? NOTEBOOK_STARTING_NICE : undefined,
    },
  );
}
