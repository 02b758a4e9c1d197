import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { openPlainFile } from "./box";
import { OWNER_MARKER, type ChildEnv } from "./processes";
import { askZygote, childrenOf } from "./zygote";

// The room's seed: one warm interpreter (python/portal_zygote.py --seed) that every sandboxed
// environment's zygote is planted from, so a room of 20 imports Dask, distributed, NumPy and
// Bokeh once rather than 20 times (about 2.2 CPU-seconds each on this machine). The portal
// starts an environment's sandbox with only a holder in it, and asks the seed to plant the
// zygote there: it enters the holder's namespaces and gives up its privileges before it forks
// the zygote (docs/local-isolation.md). Only a portal running as root can: entering another
// process's mount and network namespaces needs the host's capabilities.

/** What planting a zygote needs: the sandbox's holder and where the zygote listens, logs and runs. */
export interface PlantRequest {
  /** The host's pid of the holder, the process the sandbox was made for. */
  holder: number;
  /** The control group files (cgroup.procs) the zygote joins before it enters the sandbox. */
  groups: string[];
  socket: string;
  log: string;
  cwd: string;
  /** The zygote's whole environment: it is the seed's child, not started with the environment's variables. */
  env: ChildEnv;
}

/**
 * The seed is started with this much room in its environment block, which a planted zygote
 * writes its own environment over (so /proc/<pid>/environ shows the markers the portal finds
 * its processes by): more than an environment's variables take.
 */
const ENVIRON_ROOM = 8192;
const READY_MS = 60_000;

export function seedUsable(sandboxed: boolean): boolean {
  return sandboxed && process.getuid?.() === 0;
}

export class RoomSeed {
  private child?: ChildProcess;

  constructor(
    private readonly python: string,
    private readonly script: string,
    readonly socketPath: string,
    private readonly logPath: string,
    private readonly env: ChildEnv,
  ) {}

  /** Started on first use; a seed that has exited is started again. */
  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    fs.mkdirSync(path.dirname(this.socketPath), { recursive: true, mode: 0o700 });
    fs.rmSync(this.socketPath, { force: true });
    const out = openPlainFile(this.logPath, "append");
    // Its stdin is a pipe from this process: it ends when the portal does (the zygotes it
    // planted do not, they are in their sandboxes). Not detached: it is the portal's own.
    const env: ChildEnv = { ...this.env, PORTAL_SEED_ROOM: " ".repeat(ENVIRON_ROOM) };
    const child = spawn(this.python, [this.script, "--seed", this.socketPath], {
      cwd: path.dirname(this.logPath),
      env: env as NodeJS.ProcessEnv,
      stdio: ["pipe", out, out],
    });
    fs.closeSync(out);
    child.on("error", (err) => console.error("local provider: the room's seed could not start:", err.message));
    // Neither keeps the portal's event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    return child;
  }

  /** Plants a zygote in the holder's sandbox; resolves with its pid on this machine. */
  async plant(request: PlantRequest): Promise<number> {
    const child = this.ensure();
    return askZygote(this.socketPath, request, {
      deadline: Date.now() + READY_MS,
      alive: () => child.exitCode === null && child.signalCode === null,
      who: "the room's seed",
    });
  }

  stop(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }
}

const seeds = new Map<string, RoomSeed>();

/** The room's seed for a portal (one per socket root, started on first use). */
export function roomSeed(settings: { pythonEnv: string; localPythonDir: string; socketRoot: string; rootDir: string; owner: string; inherited: { PATH?: string; LANG?: string } }): RoomSeed {
  const socketPath = path.join(settings.socketRoot, "seed.sock");
  let seed = seeds.get(socketPath);
  if (!seed) {
    const env: ChildEnv = {
      PATH: `${path.join(settings.pythonEnv, "bin")}:${settings.inherited.PATH}`,
      // A HOME with nothing in it: what the seed imports must not depend on any attendee's.
      HOME: path.join(settings.rootDir, ".seed-home"),
      LANG: settings.inherited.LANG,
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      DASK_DISTRIBUTED__WORKER__DAEMON: "False",
      [OWNER_MARKER]: settings.owner,
    };
    fs.mkdirSync(env.HOME!, { recursive: true, mode: 0o700 });
    seed = new RoomSeed(path.join(settings.pythonEnv, "bin", "python"), path.join(settings.localPythonDir, "portal_zygote.py"), socketPath, path.join(settings.rootDir, "seed.log"), env);
    seeds.set(socketPath, seed);
  }
  return seed;
}

function commandName(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The holder below a sandbox's chain (bubblewrap, its init, `sleep`), once it runs; fails if the chain ends first or by `deadline`. */
export async function waitForHolder(chain: number, deadline: number): Promise<number> {
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    const queue = [chain];
    for (let seen = 0; queue.length && seen < 100; seen++) {
      const pid = queue.shift()!;
      if (pid !== chain && commandName(pid) === "sleep") return pid;
      queue.push(...childrenOf(pid));
    }
    if (commandName(chain) === undefined) throw new Error("the sandbox ended before its holder started; see zygote.log");
    if (Date.now() > deadline) throw new Error("the sandbox's holder did not start in time");
    await new Promise((r) => setTimeout(r, wait));
  }
}
