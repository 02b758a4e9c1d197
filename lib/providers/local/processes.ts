import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import { openPlainFile } from "./box";

/** Marks every process the local provider starts, so a later portal run can find it again. */
export const ENV_MARKER = "PORTAL_ENVIRONMENT_ID";
export const OWNER_MARKER = "PORTAL_OWNER_DIR";

export type ChildEnv = Record<string, string | undefined>;

export interface Spawned {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a command in its own process group, with stdout and stderr appended to a log
 * file (not a pipe), so the process outlives a portal restart without losing output.
 */
export function spawnInGroup(command: string, args: string[], opts: { env: ChildEnv; logFile: string; cwd: string }): Spawned {
  const out = openPlainFile(opts.logFile, "append");
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: 127, signal: null }));
  });
  // The portal must not wait for these on exit; they are adopted on the next start.
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return { pid: child.pid, exited };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** Signals a whole process group; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL for whatever is still there after the grace period, or as soon as
 * `finished()` says the task has completed its own shutdown (what is left is the Python
 * interpreter tearing itself down, which takes seconds on a busy machine).
 */
export async function stopGroup(pgid: number, graceMs: number, finished?: () => boolean): Promise<"exited" | "killed"> {
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  // Most tasks exit within a few hundred ms of SIGTERM: look often, so teardown is not rounded up.
  while (Date.now() < deadline) {
    // The whole group, not only its leader: a sandboxed task's leader is bubblewrap, which
    // goes at once while the work inside may still be shutting down.
    if (!groupAlive(pgid)) return "exited";
    if (finished?.()) {
      signalGroup(pgid, "SIGKILL");
      return "exited";
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  signalGroup(pgid, "SIGKILL");
  return "killed";
}

/** The marker values in a process's environment, if it is one of ours. */
export function markersOf(pid: number): { envId?: string; owner?: string } {
  try {
    const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const get = (name: string) => environ.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
    return { envId: get(ENV_MARKER), owner: get(OWNER_MARKER) };
  } catch {
    return {};
  }
}

/** One /proc scan (parent and own CPU seconds of every process), reused for a second by every task. */
let processTable: { at: number; rows: Map<number, { ppid: number; cpu: number }> } | undefined;

function readProcessTable(fresh = false): Map<number, { ppid: number; cpu: number }> {
  if (!fresh && processTable && Date.now() - processTable.at < 1000) return processTable.rows;
  const rows = new Map<number, { ppid: number; cpu: number }>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // ppid is field 4; utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
      rows.set(Number(entry), { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      /* gone meanwhile */
    }
  }
  processTable = { at: Date.now(), rows };
  return rows;
}

/**
 * A task's processes: `pid` and everything below it, or null once it is gone. The whole tree
 * counts, as a container's does: a sandboxed task's pid is bubblewrap's, and the work runs below it.
 */
function processTree(pid: number, opts: { fresh?: boolean } = {}): { pid: number; cpu: number }[] | null {
  const rows = readProcessTable(opts.fresh);
  if (!rows.has(pid)) return null;
  const tree: { pid: number; cpu: number }[] = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.pop()!;
    tree.push({ pid: current, cpu: rows.get(current)?.cpu ?? 0 });
    for (const [child, row] of rows) if (row.ppid === current) queue.push(child);
  }
  return tree;
}

/** CPU seconds (user + system) a task's processes have used so far, or null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  const tree = processTree(pid);
  return tree && Math.round(tree.reduce((sum, p) => sum + p.cpu, 0) * 100) / 100;
}

/**
 * Sets the nice value of every thread of `pid` and of every process below it. A nice value
 * belongs to a thread on Linux (setpriority on a pid reaches only the thread with that id), and
 * a process forks its children at the nice value of the thread that forks: every thread is
 * set, so whatever the tree starts afterwards starts at `nice` too. Lowering a nice value
 * needs CAP_SYS_NICE, as root has.
 */
export function setTreePriority(pid: number, nice: number): void {
  const tree = processTree(pid, { fresh: true }) ?? [];
  for (const { pid: member } of tree) {
    let threads: string[];
    try {
      threads = fs.readdirSync(`/proc/${member}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const tid of threads) {
      try {
        os.setPriority(Number(tid), nice);
      } catch (err) {
        // A thread that ended meanwhile is fine; anything else (no permission) is not.
        if ((err as { info?: { code?: string } }).info?.code !== "ESRCH") throw err;
      }
    }
  }
}

/** One process's own memory in kB: pages only it maps (smaps_rollup), else its whole resident set. */
function privateKbOf(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(rollup)?.[1] ?? 0);
    return field("Private_Clean") + field("Private_Dirty");
  } catch {
    try {
      return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      return 0; // gone meanwhile
    }
  }
}

/**
 * The memory (MiB) a task's processes hold of their own, or null once it is gone: private
 * pages only. Pages shared with another process (a parent it was forked from, libraries
 * mapped by many) are not the task's; the resident set counts them again in every process
 * that maps them. A task's own allocations, its data above all, are private and count in full.
 */
export function privateMiBOf(pid: number): number | null {
  const tree = processTree(pid);
  if (!tree) return null;
  return tree.reduce((kb, p) => kb + privateKbOf(p.pid), 0) / 1024;
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, …]. */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function processGroupOf(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[2]) : null;
}

/**
 * Whether `pid` is, or descends from, one of `roots`. A kernel JupyterLab starts leads a
 * session of its own, so its group names no task; its ancestry still leads to one.
 */
export function descendsFrom(pid: number, roots: ReadonlySet<number>): boolean {
  let current = pid;
  for (let depth = 0; depth < 64 && current > 1; depth++) {
    if (roots.has(current)) return true;
    const fields = statFields(current);
    if (!fields) return false;
    current = Number(fields[1]);
  }
  return false;
}

/** Every live process on this machine carrying our owner marker, with its group and environment id. */
export function findOwnedProcesses(owner: string): { pid: number; pgid: number; envId: string }[] {
  const found: { pid: number; pgid: number; envId: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const markers = markersOf(pid);
    const pgid = processGroupOf(pid);
    if (markers.owner === owner && markers.envId && pgid && isAlive(pid)) found.push({ pid, pgid, envId: markers.envId });
  }
  return found;
}

/** A free TCP port on loopback. The OS picks it; we release it just before the child binds. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `Essential container in task exited (killed by ${signal})`;
  return `Essential container in task exited (exit code ${code ?? "unknown"})`;
}
