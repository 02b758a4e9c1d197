import "server-only";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { ChildEnv } from "./processes";
import type { LocalState, TaskRecord } from "./state";
import { isOwnSocket, readPlainFile } from "./box";

// An environment's scheduler and workers start from one warm interpreter, its zygote
// (python/portal_zygote.py): it runs where the tasks would (the environment's group, network
// namespace and sandbox), imports Dask once, and forks each task on request. A task is then
// what it was: its own process, session and process group, its own log file, supervised and
// signalled by the portal by its group; only its exit arrives through a file, as the zygote,
// not the portal, is its parent.

/** What the zygote is asked for: the `dask scheduler` or `dask worker` arguments and where it writes. */
export interface TaskRequest {
  role: TaskRecord["role"];
  args: string[];
  /** Added to the zygote's own environment in the task. */
  env: ChildEnv;
  log: string;
  /** Where the zygote writes the task's exit code or signal once it has exited. */
  exit: string;
  cwd: string;
}

export interface TaskExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where the zygote listens: in the environment's socket folder, which its sandbox binds. */
export function zygoteSocket(state: LocalState): string {
  return path.join(state.isolation.socketDir, "tasks.sock");
}

export function exitFile(dir: string, taskId: string): string {
  return path.join(dir, `${taskId}.exit`);
}

/** How a task the zygote started exited, once it has. */
export function readExit(dir: string, taskId: string): TaskExit | undefined {
  try {
    const parsed = JSON.parse(readPlainFile(exitFile(dir, taskId)) ?? "") as Partial<TaskExit>;
    return {
      code: typeof parsed.code === "number" ? parsed.code : null,
      signal: typeof parsed.signal === "string" ? (parsed.signal as NodeJS.Signals) : null,
    };
  } catch {
    return undefined;
  }
}

/**
 * Worth asking again, the request never having reached it: a zygote still importing has no
 * socket yet, or one it does not listen on; one busy with a room's requests has a full queue of
 * connections waiting (a Unix socket's connect then fails with EAGAIN, see unix(7)).
 */
const NOT_YET = new Set(["ENOENT", "ECONNREFUSED", "EAGAIN"]);
const ANSWER_MS = 30_000;
/** Between asks the wait doubles up to its bound, with jitter: a room's zygotes importing at once are not asked 20 times a second each. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 800;

/** One request on one connection: the pid in the answer (a task's as the zygote's sandbox numbers it, a planted zygote's on this machine). */
function ask(socketPath: string, request: object, who: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The socket's folder is shared with the sandbox: only the socket itself is asked, never a link.
    if (!isOwnSocket(socketPath)) return reject(Object.assign(new Error(`${who}'s socket is not there yet`), { code: "ENOENT" }));
    const conn = net.connect(socketPath);
    let answer = "";
    const timer = setTimeout(() => conn.destroy(new Error(`${who} did not answer`)), ANSWER_MS);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on("data", (chunk: string) => {
      answer += chunk;
      if (answer.length > 4096) conn.destroy(new Error(`${who}'s answer is too long`));
      else if (answer.includes("\n")) conn.end();
    });
    conn.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    conn.on("close", () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(answer) as { pid?: unknown; error?: unknown };
        if (Number.isInteger(parsed.pid) && (parsed.pid as number) > 0) resolve(parsed.pid as number);
        else reject(new Error(`${who} refused: ${String(parsed.error ?? answer)}`));
      } catch {
        reject(new Error(`${who}'s answer is not understood: ${answer.slice(0, 200)}`));
      }
    });
  });
}

/**
 * Waits `ms`, or less if the socket appears meanwhile (true then): the zygote makes it once its
 * imports are done, so the back-off between asks does not delay a zygote that is ready.
 */
function socketAppears(socketPath: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const done = (appeared: boolean) => {
      clearTimeout(timer);
      watcher?.close();
      resolve(appeared);
    };
    const timer = setTimeout(() => done(false), ms);
    try {
      watcher = fs.watch(path.dirname(socketPath), (_event, name) => {
        if (name === path.basename(socketPath) && isOwnSocket(socketPath)) done(true);
      });
      watcher.on("error", () => done(false));
    } catch {
      return; // no folder to watch: the timer alone
    }
    // Made between the refused ask and the watch (a link in its place does not count: see ask).
    if (isOwnSocket(socketPath)) done(true);
  });
}

/** Asks the zygote for a task, waiting while it starts (until `deadline`, or while `alive` holds). */
export function requestTask(socketPath: string, request: TaskRequest, opts: { deadline: number; alive: () => boolean }): Promise<number> {
  return askZygote(socketPath, request, { ...opts, who: "the zygote", log: "zygote.log" });
}

/**
 * Asks a zygote (or the room's seed, seed.ts) on its socket, waiting while it imports: until
 * `deadline`, or while `alive` holds. Resolves with the pid it answers.
 */
export async function askZygote(socketPath: string, request: object, opts: { deadline: number; alive: () => boolean; who: string; log?: string }): Promise<number> {
  let wait = RETRY_FIRST_MS;
  for (;;) {
    let code: string | undefined;
    try {
      return await ask(socketPath, request, opts.who);
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
      if (!code || !NOT_YET.has(code)) throw err;
    }
    if (!opts.alive()) throw new Error(`${opts.who} exited before it was ready${opts.log ? `; see ${opts.log}` : ""}`);
    if (Date.now() > opts.deadline) throw new Error(`${opts.who} was not ready in time`);
    const jittered = wait / 2 + Math.random() * (wait / 2);
    if (code === "ENOENT") {
      // No socket yet: the zygote is importing. Once it appears, it listens a moment later.
      if (await socketAppears(socketPath, jittered)) {
        wait = RETRY_FIRST_MS;
        continue;
      }
    } else {
      await new Promise((r) => setTimeout(r, jittered));
    }
    wait = Math.min(wait * 2, RETRY_MAX_MS);
  }
}

export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) found.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    /* gone meanwhile */
  }
  return found;
}

/** The pids a process has in each PID namespace, the host's first and its own namespace's last. */
function namespacePids(pid: number): number[] {
  try {
    const line = /^NSpid:\s+(.+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return line ? line.trim().split(/\s+/).map(Number) : [pid];
  } catch {
    return [];
  }
}

/**
 * The host's pid of the process below `root` (the zygote's chain: bubblewrap, its init, the
 * zygote) that its own namespace knows as `inner`; null when there is none.
 */
export function hostPidOf(root: number, inner: number): number | null {
  const queue = [root];
  for (let seen = 0; queue.length && seen < 10_000; seen++) {
    const pid = queue.shift()!;
    const pids = namespacePids(pid);
    if (pid !== root && pids[pids.length - 1] === inner) return pid;
    queue.push(...childrenOf(pid));
  }
  return null;
}
