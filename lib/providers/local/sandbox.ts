import "server-only";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Each environment's processes (scheduler, workers, JupyterLab and its kernels) run code the
// attendee writes, so they run in a bubblewrap sandbox: a root file system of the system's
// read-only folders, the Python env and the sample data, plus the environment's own folder
// (its HOME, scratch and notebooks) and nothing else of the portal's data folder (no
// secrets, no database, no other environment); their own PID namespace (they cannot see or
// signal the portal or each other); and a non-root user. The network stays shared: the
// portal reaches their ports on 127.0.0.1.

export type IsolationMode = "sandbox" | "none";

export interface Isolation {
  /** What the environments run in: `sandbox` (bubblewrap) or `none` (the portal's own user). */
  mode: IsolationMode;
  /** Whether deploys are allowed: false when isolation is required but bubblewrap is unusable. */
  deploysAllowed: boolean;
  /** One line for the start-up log and the facilitator page. */
  message: string;
}

/** What one sandbox may see besides the system: written to (its folder) or only read. */
export interface SandboxMounts {
  envDir: string;
  readOnly: string[];
}

/** The uid and gid processes see inside: never 0, so JupyterLab needs no --allow-root. */
const INSIDE_ID = "1000";

const SYSTEM_DIRS = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/opt"];

function bwrapPath(): string | null {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const candidate = path.join(dir, "bwrap");
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** The folders a virtualenv needs: itself (by the path given and its real one) and the Python it was made from. */
export function pythonEnvDirs(pythonEnv: string): string[] {
  const dirs = new Set([pythonEnv]);
  try {
    dirs.add(fs.realpathSync(pythonEnv));
    const cfg = fs.readFileSync(path.join(pythonEnv, "pyvenv.cfg"), "utf8");
    const home = /^home\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
    // `home` is the base interpreter's bin folder; its parent holds the standard library.
    if (home) dirs.add(path.dirname(fs.realpathSync(home)));
  } catch {
    /* a missing env fails later with its own how-to-fix message */
  }
  return [...dirs];
}

/** bubblewrap's arguments for one environment's sandbox, up to the command it runs. */
export function sandboxArgs(mounts: SandboxMounts, cwd: string): string[] {
  // No --die-with-parent: a task outlives a portal restart (the next start adopts it). bubblewrap
  // leads the task's process group, so the group's signals reach what runs inside, and a SIGKILL
  // to the group ends the namespace's init and with it every process in the sandbox.
  const args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-user"];
  // As root, the user namespace maps root to an ordinary uid inside; otherwise it keeps the caller's own.
  if (process.getuid?.() === 0) args.push("--uid", INSIDE_ID, "--gid", INSIDE_ID);
  // Nothing inside may make a new user namespace to get capabilities back.
  args.push("--disable-userns");
  for (const dir of SYSTEM_DIRS) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  // A private /tmp first, then what is bound into the sandbox: a repository or data folder
  // that itself lives under /tmp (a CI clone, a test's folder) must not be hidden by it.
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const dir of mounts.readOnly) args.push("--ro-bind-try", dir, dir);
  args.push("--bind", mounts.envDir, mounts.envDir, "--chdir", cwd);
  return args;
}

/** The command line that runs `command` inside the environment's sandbox. */
export function sandboxed(bwrap: string, mounts: SandboxMounts, command: string, args: string[], cwd: string): { command: string; args: string[] } {
  return { command: bwrap, args: [...sandboxArgs(mounts, cwd), "--", command, ...args] };
}

export interface SandboxProbe {
  /** The bwrap binary, once a sandbox started with it; null otherwise. */
  bwrap: string | null;
  error?: string;
}

/** Runs bubblewrap with the very flags environments get: a missing binary or a kernel that refuses shows here. */
export function probeSandbox(bwrap: string | null): SandboxProbe {
  if (!bwrap) return { bwrap: null, error: "bubblewrap (bwrap) is not installed" };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-bwrap-probe-"));
  try {
    execFileSync(bwrap, [...sandboxArgs({ envDir: dir, readOnly: [] }, dir), "--", "true"], { stdio: "pipe", timeout: 10_000 });
    return { bwrap };
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim().split("\n")[0];
    return { bwrap: null, error: `bubblewrap cannot make a sandbox here (${stderr || (err as Error).message})` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let detected: SandboxProbe | undefined;

/** Probed once per portal process. */
function probe(): SandboxProbe {
  return (detected ??= probeSandbox(bwrapPath()));
}

/** The bwrap binary to run environments with, once the probe passed. */
export function sandboxBinary(): string | null {
  return probe().bwrap;
}

/** How environments are isolated under this setting, detected once per portal process. */
export function isolation(setting: IsolationMode, found: () => SandboxProbe = probe): Isolation {
  if (setting === "none") {
    return {
      mode: "none",
      deploysAllowed: true,
      message: "Environments are not isolated (PORTAL_LOCAL_ISOLATION=none): for a single-user machine only.",
    };
  }
  const { bwrap, error } = found();
  if (bwrap) {
    return { mode: "sandbox", deploysAllowed: true, message: "Each environment runs in its own bubblewrap sandbox with Dask TLS." };
  }
  return {
    mode: "sandbox",
    deploysAllowed: false,
    message: `Deploys are refused: ${error}. Install it (\`apt-get install bubblewrap\`, done by \`make start\`), or set PORTAL_LOCAL_ISOLATION=none on a single-user machine.`,
  };
}
