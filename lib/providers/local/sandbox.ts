import "server-only";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FROM_HOST, insideUser, WRITTEN, writeMinimalEtc } from "./minimal-etc";

// Each environment's processes (scheduler, workers, JupyterLab and its kernels) run code the
// attendee writes, so they run in a bubblewrap sandbox: a root file system of the system's
// read-only folders, a minimal /etc (minimal-etc.ts), the Python env and the sample data,
// plus the environment's own folder (its HOME, scratch and notebooks) and its socket folder
// (where JupyterLab and the dashboard listen for the portal), and nothing else of the
// portal's data folder (no secrets, no database, no other environment); their own PID
// namespace (they cannot see or signal the portal or each other); and a non-root user. Its
// network namespace (network.ts) and its caps (caps.ts) are entered before bubblewrap starts.

/** What one sandbox may see besides the system: written to (its folders) or only read. */
export interface SandboxMounts {
  envDir: string;
  /** Where its servers make their Unix sockets (a short path: socket addresses hold 107 bytes). */
  socketDir?: string;
  /** The folder its /etc is made of (minimal-etc.ts). */
  etcDir: string;
  readOnly: string[];
}

// No /etc (minimal-etc.ts makes one) and no /opt, where a host may keep anything of its own.
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"];

function bwrapPath(searchPath: string): string | null {
  for (const dir of searchPath.split(":")) {
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

/** Each of the host's paths bound read-only where it exists, or made again as the same symbolic link. */
function hostPaths(paths: readonly string[]): string[] {
  const args: string[] = [];
  for (const hostPath of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(hostPath);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(hostPath), hostPath);
    else args.push("--ro-bind", hostPath, hostPath);
  }
  return args;
}

/** bubblewrap's arguments for one environment's sandbox, up to the command it runs. */
export function sandboxArgs(mounts: SandboxMounts, cwd: string): string[] {
  // No --die-with-parent: a task outlives a portal restart (the next start adopts it). bubblewrap
  // leads the task's process group, so the group's signals reach what runs inside, and a SIGKILL
  // to the group ends the namespace's init and with it every process in the sandbox.
  const args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-user"];
  // As root, the user namespace maps root to an ordinary uid inside (never 0, so JupyterLab needs
  // no --allow-root); otherwise it keeps the caller's own.
  const user = insideUser();
  args.push("--uid", String(user.uid), "--gid", String(user.gid));
  // Nothing inside may make a new user namespace to get capabilities back.
  args.push("--disable-userns");
  args.push(...hostPaths(SYSTEM_DIRS));
  // A private /tmp first, then what is bound into the sandbox: a repository or data folder
  // that itself lives under /tmp (a CI clone, a test's folder) must not be hidden by it.
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/etc");
  for (const name of WRITTEN) args.push("--ro-bind", path.join(mounts.etcDir, name), `/etc/${name}`);
  args.push(...hostPaths(FROM_HOST));
  for (const dir of mounts.readOnly) args.push("--ro-bind-try", dir, dir);
  args.push("--bind", mounts.envDir, mounts.envDir);
  if (mounts.socketDir) args.push("--bind", mounts.socketDir, mounts.socketDir);
  args.push("--chdir", cwd);
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
    const etcDir = path.join(dir, "etc");
    writeMinimalEtc(etcDir, insideUser(), "");
    execFileSync(bwrap, [...sandboxArgs({ envDir: dir, etcDir, readOnly: [] }, dir), "--", "true"], { stdio: "pipe", timeout: 10_000 });
    return { bwrap };
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim().split("\n")[0];
    return { bwrap: null, error: `bubblewrap cannot make a sandbox here (${stderr || (err as Error).message})` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let detected: SandboxProbe | undefined;

/** Probed once per portal process, with bwrap looked for on the portal's PATH. */
export function probedSandbox(searchPath: string): SandboxProbe {
  return (detected ??= probeSandbox(bwrapPath(searchPath)));
}
