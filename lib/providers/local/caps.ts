import "server-only";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// Memory and CPU caps per environment: one control group holds everything the environment
// runs (scheduler, workers, JupyterLab and every kernel or process they start), joined before
// bubblewrap starts, so nothing inside can leave it (bubblewrap's cgroup namespace shows it
// as the root). When the group reaches its memory cap, the kernel's OOM killer stops the
// largest process in that group alone (a runaway kernel, typically); the portal and the other
// environments are untouched, and the group's oom_kill count tells the portal it happened.
//
// cgroup v2 (memory.max, memory.swap.max, cpu.max, memory.events) when the portal's own group
// has the memory and cpu controllers (root, or a systemd unit with Delegate=yes); cgroup v1
// (memory.limit_in_bytes and memory.memsw.limit_in_bytes, cpu.cfs_quota_us, the oom_kill
// line of memory.oom_control) on hosts that still mount those controllers there. What holds
// on v1 is measured in docs/local-isolation.md. Sources: the kernel's
// Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/memory.rst, cgroup-v1/cpu… (cfs).

export type CapsMode = "cgroup-v2" | "cgroup-v1";

/** Where this portal's environments' groups live, per controller (v2: one folder for both). */
export interface CgroupLayout {
  mode: CapsMode;
  /** The folder under which each environment gets a group of its own, for memory and for cpu. */
  memory: string;
  cpu: string;
}

export interface Caps {
  memoryMiB: number;
  cpus: number;
}

const PERIOD_US = 100_000;

interface Mount {
  point: string;
  fstype: string;
  options: string[];
}

function cgroupMounts(mountinfo: string): Mount[] {
  return mountinfo
    .split("\n")
    .map((line) => {
      const [before, after] = line.split(" - ");
      if (!after) return null;
      const point = before.split(" ")[4];
      const [fstype, , superOptions] = after.split(" ");
      return { point, fstype, options: (superOptions ?? "").split(",") };
    })
    .filter((m): m is Mount => m !== null && (m.fstype === "cgroup" || m.fstype === "cgroup2"));
}

/** The process's own group per v1 controller, and its v2 group under "". */
function ownGroups(procCgroup: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of procCgroup.trim().split("\n")) {
    const [, controllers, group] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (group === undefined) continue;
    for (const controller of controllers.split(",")) groups.set(controller, group);
  }
  return groups;
}

const folderTag = (owner: string) => `dask-portal-${createHash("sha256").update(owner).digest("hex").slice(0, 8)}`;

/**
 * Finds where this portal may make its environments' groups, from /proc/self/cgroup and
 * /proc/self/mountinfo: v2 when the unified hierarchy offers memory and cpu, else v1 when
 * both controllers are mounted; null when neither (then the caller says why).
 */
export function cgroupLayout(owner: string, read: (file: string) => string = (f) => fs.readFileSync(f, "utf8")): CgroupLayout | null {
  const mounts = cgroupMounts(read("/proc/self/mountinfo"));
  const own = ownGroups(read("/proc/self/cgroup"));
  const tag = folderTag(owner);
  const unified = mounts.find((m) => m.fstype === "cgroup2");
  if (unified && own.has("")) {
    const mine = path.join(unified.point, own.get("")!);
    let controllers: string[] = [];
    try {
      controllers = read(path.join(mine, "cgroup.controllers")).trim().split(/\s+/);
    } catch {
      /* not readable: not ours to use */
    }
    if (controllers.includes("memory") && controllers.includes("cpu")) {
      const base = path.join(mine, tag);
      return { mode: "cgroup-v2", memory: base, cpu: base };
    }
  }
  const v1 = (controller: string) => {
    const mount = mounts.find((m) => m.fstype === "cgroup" && m.options.includes(controller));
    const group = own.get(controller);
    return mount && group !== undefined ? path.join(mount.point, group, tag) : null;
  };
  const memory = v1("memory");
  const cpu = v1("cpu");
  return memory && cpu ? { mode: "cgroup-v1", memory, cpu } : null;
}

function write(file: string, value: string): void {
  fs.writeFileSync(file, value);
}

/**
 * On v2 a group may enable controllers for its children only while it holds no process of its
 * own: the portal's processes move into a leaf ("portal") of their group first, as a service
 * with Delegate=yes is expected to do.
 */
function prepareV2(base: string): void {
  const parent = path.dirname(base);
  const enabled = fs.readFileSync(path.join(parent, "cgroup.subtree_control"), "utf8");
  if (!/\bmemory\b/.test(enabled) || !/\bcpu\b/.test(enabled)) {
    const leaf = path.join(parent, "portal");
    fs.mkdirSync(leaf, { recursive: true });
    for (const pid of fs.readFileSync(path.join(parent, "cgroup.procs"), "utf8").trim().split("\n").filter(Boolean)) {
      try {
        write(path.join(leaf, "cgroup.procs"), pid);
      } catch {
        /* a process that ended meanwhile */
      }
    }
    write(path.join(parent, "cgroup.subtree_control"), "+memory +cpu");
  }
  fs.mkdirSync(base, { recursive: true });
  write(path.join(base, "cgroup.subtree_control"), "+memory +cpu");
}

/** One environment's group: its folder per controller (the same folder twice on v2). Kept in its state. */
export interface EnvironmentGroup {
  mode: CapsMode;
  memory: string;
  cpu: string;
}

export function groupOf(layout: CgroupLayout, envId: string): EnvironmentGroup {
  return { mode: layout.mode, memory: path.join(layout.memory, envId), cpu: path.join(layout.cpu, envId) };
}

/** Makes the environment's group and sets its caps. */
export function createGroup(layout: CgroupLayout, envId: string, caps: Caps): EnvironmentGroup {
  if (layout.mode === "cgroup-v2") prepareV2(layout.memory);
  const group = groupOf(layout, envId);
  fs.mkdirSync(group.memory, { recursive: true });
  fs.mkdirSync(group.cpu, { recursive: true });
  if (!applyCaps(group, caps)) throw new Error("the memory cap is below what the group already uses");
  return group;
}

/**
 * Sets the caps on an existing group. Lowering memory below what the group uses is refused
 * by the kernel (EBUSY on v1): false then, and the caller tries again later.
 */
export function applyCaps(group: EnvironmentGroup, caps: Caps): boolean {
  const bytes = String(caps.memoryMiB * 2 ** 20);
  const quota = String(Math.round(caps.cpus * PERIOD_US));
  try {
    if (group.mode === "cgroup-v2") {
      write(path.join(group.memory, "memory.max"), bytes);
      // No swap: the cap is on memory, not on memory that spills to disk.
      if (fs.existsSync(path.join(group.memory, "memory.swap.max"))) write(path.join(group.memory, "memory.swap.max"), "0");
      write(path.join(group.cpu, "cpu.max"), `${quota} ${PERIOD_US}`);
      return true;
    }
    // memsw (memory + swap) must stay at or above the memory limit at every step.
    const memsw = path.join(group.memory, "memory.memsw.limit_in_bytes");
    const hasMemsw = fs.existsSync(memsw);
    const current = Number(fs.readFileSync(path.join(group.memory, "memory.limit_in_bytes"), "utf8"));
    if (hasMemsw && Number(bytes) > current) write(memsw, bytes);
    write(path.join(group.memory, "memory.limit_in_bytes"), bytes);
    if (hasMemsw) write(memsw, bytes);
    write(path.join(group.cpu, "cpu.cfs_period_us"), String(PERIOD_US));
    write(path.join(group.cpu, "cpu.cfs_quota_us"), quota);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EBUSY") return false;
    throw err;
  }
}

/** The files a process writes its pid to, to join the environment's group (one per controller folder). */
export function groupProcsFiles(group: EnvironmentGroup): string[] {
  return [...new Set([group.memory, group.cpu])].map((dir) => path.join(dir, "cgroup.procs"));
}

/**
 * The command prefix that joins the environment's group and then runs what follows: a shell
 * writes its own pid, then becomes the command, so every process it starts is inside.
 */
export function joinGroup(group: EnvironmentGroup): string[] {
  const files = groupProcsFiles(group);
  const script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"';
  return ["/bin/sh", "-c", script, "join-cgroup", ...files, "--"];
}

/** How many times the kernel's OOM killer has stopped a process of the group; null once the group is gone. */
export function oomKills(group: EnvironmentGroup): number | null {
  const file = path.join(group.memory, group.mode === "cgroup-v2" ? "memory.events" : "memory.oom_control");
  try {
    const count = /^oom_kill (\d+)$/m.exec(fs.readFileSync(file, "utf8"));
    return count ? Number(count[1]) : 0;
  } catch {
    return null;
  }
}

/** Removes the group once nothing runs in it (and this portal's folder once no group is left); false while something still runs. */
export function removeGroup(group: EnvironmentGroup): boolean {
  let removed = true;
  for (const dir of new Set([group.memory, group.cpu])) {
    try {
      fs.rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") removed = false;
    }
    if (!removed) continue;
    try {
      fs.rmdirSync(path.dirname(dir));
    } catch {
      // Another environment's group is still there (or the portal's own v2 leaf).
    }
  }
  return removed;
}

export interface CapsProbe {
  layout: CgroupLayout | null;
  error?: string;
}

/** Makes a group exactly as an environment gets one, caps it and removes it: what this machine refuses shows at start. */
export function probeCaps(owner: string): CapsProbe {
  let layout: CgroupLayout | null;
  try {
    layout = cgroupLayout(owner);
  } catch (err) {
    return { layout: null, error: `this machine's control groups cannot be read (${(err as Error).message})` };
  }
  if (!layout) return { layout: null, error: "this machine mounts no cgroup v2 with the memory and cpu controllers, nor cgroup v1 ones" };
  const probe = groupOf(layout, `probe-${process.pid}`);
  try {
    createGroup(layout, `probe-${process.pid}`, { memoryMiB: 64, cpus: 0.5 });
    if (oomKills(probe) === null) throw new Error("the group's out-of-memory count cannot be read");
    return { layout };
  } catch (err) {
    return { layout: null, error: `the portal cannot make ${layout.mode} groups here (${(err as Error).message.split("\n")[0]})` };
  } finally {
    removeGroup(probe);
  }
}
