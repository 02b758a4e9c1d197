// What an environment's caps (lib/providers/local/caps.ts) hold on this machine, measured with
// the portal's own code: a control group made as an environment's is, each probe a real
// process joined to it the way an environment's processes are. Writes bench/caps/REPORT.md and
// results.json; passes or fails nothing. Run as the portal runs (root, or with delegation):
//   node --conditions=react-server --import tsx bench/caps/measure.mts (make bench-caps)
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cgroupLayout, createGroup, joinGroup, oomKills, removeGroup, type EnvironmentGroup } from "@/lib/providers/local/caps";

const here = path.resolve("bench/caps");
const python = path.resolve(process.env.PORTAL_PYTHON_ENV ?? ".venv", "bin", "python");
const bwrap = spawnSync("bash", ["-c", "command -v bwrap"], { encoding: "utf8" }).stdout.trim();
const layout = cgroupLayout(path.resolve("data"));
if (!layout) throw new Error("no cgroup v2 with memory and cpu, nor cgroup v1 ones: nothing to measure");
const MiB = 2 ** 20;

/** Reads one number (or a `key value` line) from a file of the group's memory controller; null where the file is absent. */
function read(group: EnvironmentGroup, file: string, key?: string): number | null {
  try {
    const text = fs.readFileSync(path.join(file.startsWith("cpu") ? group.cpu : group.memory, file), "utf8");
    if (!key) return Number(text.trim().split(/\s+/)[0]);
    const line = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
    return line ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

/** Runs `args` joined to `group` (as an environment's processes are): exit code, signal, output, wall seconds. */
function inGroup(group: EnvironmentGroup, args: string[]) {
  const [command, ...rest] = joinGroup(group);
  const t0 = performance.now();
  const out = spawnSync(command, [...rest, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: out.status, signal: out.signal, stdout: out.stdout.trim(), wallS: Math.round((performance.now() - t0) / 10) / 100 };
}

/** Removes a probe's group once its last process has left (a sandbox's processes go a moment after its leader). */
async function release(group: EnvironmentGroup): Promise<void> {
  for (let i = 0; i < 50 && !removeGroup(group); i++) await new Promise((r) => setTimeout(r, 100));
}

function fresh(name: string, memoryMiB: number, cpus: number): EnvironmentGroup {
  return createGroup(layout!, `measure-${name}-${process.pid}`, { memoryMiB, cpus });
}

const results: Record<string, unknown> = { date: new Date().toISOString().slice(0, 10), kernel: os.release(), mode: layout.mode, load: os.loadavg().map((l) => l.toFixed(2)).join(" ") };

// 1. A process allocating 1 GiB in a 256 MiB group, beside a sleeping one: which is stopped?
{
  const g = fresh("anon", 256, 2);
  const [command, ...rest] = joinGroup(g);
  const sleeperPid = spawn(command, [...rest, "sleep", "60"], { stdio: "ignore" }).pid!;
  const before = oomKills(g);
  const run = inGroup(g, [python, "-c", "import numpy as np\nheld = [np.ones(8 * 2**20) for _ in range(16)]\nprint('survived')"]);
  results.anonymous = {
    capMiB: 256,
    allocatedMiB: 1024,
    exit: run.status ?? run.signal,
    printed: run.stdout,
    oomKills: (oomKills(g) ?? 0) - (before ?? 0),
    peakMiB: Math.round((read(g, layout.mode === "cgroup-v1" ? "memory.max_usage_in_bytes" : "memory.peak") ?? 0) / MiB),
    siblingAlive: fs.existsSync(`/proc/${sleeperPid}`),
  };
  process.kill(sleeperPid, "SIGKILL");
  await new Promise((r) => setTimeout(r, 200));
  await release(g);
}

// 2. Files written to a sandbox's /tmp (a tmpfs: memory, not disk) past the cap.
{
  const g = fresh("tmpfs", 256, 2);
  const before = oomKills(g);
  const write = "import sys\nchunk = b'x' * 2**20\nwith open('/tmp/big', 'wb') as f:\n    for i in range(512):\n        f.write(chunk); f.flush()\nprint('wrote 512 MiB')";
  const run = inGroup(g, [bwrap, "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--", python, "-c", write]);
  results.tmpfs = { capMiB: 256, writtenMiB: 512, exit: run.status ?? run.signal, printed: run.stdout, oomKills: (oomKills(g) ?? 0) - (before ?? 0) };
  await release(g);
}

// 3. Kernel memory: 200 000 empty folders in a sandbox's /tmp (inodes and dentries: kernel objects, no user memory). Charged to the group?
{
  const g = fresh("kmem", 1024, 2);
  const code = [
    "import os, sys",
    "for i in range(200000): os.mkdir(f'/tmp/d{i}')",
    "sys.stdout.write(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])",
    "sys.stdout.flush()",
    "input()",
  ].join("\n");
  const [command, ...rest] = joinGroup(g);
  const before = read(g, layout.mode === "cgroup-v1" ? "memory.usage_in_bytes" : "memory.current") ?? 0;
  const child = spawn(command, [...rest, bwrap, "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--", python, "-c", code], { stdio: ["pipe", "pipe", "inherit"] });
  const rssKiB = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(String(d)))));
  const usage = read(g, layout.mode === "cgroup-v1" ? "memory.usage_in_bytes" : "memory.current") ?? 0;
  const kmem = layout.mode === "cgroup-v1" ? read(g, "memory.kmem.usage_in_bytes") : read(g, "memory.stat", "slab");
  child.stdin.end("\n");
  await new Promise((r) => child.once("close", r));
  results.kernelMemory = {
    emptyFolders: 200_000,
    processRssMiB: Math.round(rssKiB / 1024),
    groupUsageMiB: Math.round((usage - before) / MiB),
    kernelMemoryMiB: kmem === null ? null : Math.round(kmem / MiB),
  };
  await release(g);
}

// 4. CPU: a busy loop for 4 s of wall time, capped at half a CPU and at two; the CPU seconds it got.
{
  const loop = [python, "-c", "import time\nend = time.time() + 4\nwhile time.time() < end: pass\nprint(round(time.process_time(), 2))"];
  const got = async (cpus: number) => {
    const g = fresh(`cpu-${cpus}`, 256, cpus);
    const run = inGroup(g, loop);
    const throttled = { periods: read(g, "cpu.stat", "nr_periods"), throttled: read(g, "cpu.stat", "nr_throttled") };
    await release(g);
    return { capCpus: cpus, wallS: run.wallS, cpuS: Number(run.stdout), ...throttled };
  };
  results.cpu = [await got(0.5), await got(2)];
}

// 5. Swap: is there any, and is memory+swap capped too?
results.swap = { swapMiB: Math.round(Number(/^SwapTotal:\s+(\d+)/m.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024), memswCapped: layout.mode === "cgroup-v1" ? fs.existsSync(path.join(layout.memory, "..", "memory.memsw.limit_in_bytes")) : "memory.swap.max" };

type Cpu = { capCpus: number; wallS: number; cpuS: number; periods: number; throttled: number };
const r = results as {
  anonymous: { capMiB: number; allocatedMiB: number; exit: unknown; oomKills: number; peakMiB: number; siblingAlive: boolean };
  tmpfs: { capMiB: number; writtenMiB: number; exit: unknown; oomKills: number };
  kernelMemory: { emptyFolders: number; processRssMiB: number; groupUsageMiB: number; kernelMemoryMiB: number | null };
  cpu: Cpu[];
  swap: { swapMiB: number; memswCapped: unknown };
};
const report = [
  "# What an environment's caps hold on this machine",
  "",
  `Generated by \`make bench-caps\` (bench/caps/measure.mts) on ${results.date}: kernel ${results.kernel}, ${results.mode}, load average`,
  `before it ${results.load}. Each probe is a real process joined to a control group made as an environment's is`,
  "(lib/providers/local/caps.ts); nothing here passes or fails.",
  "",
  "| probe | cap | what happened |",
  "|---|---|---|",
  `| a process allocating ${r.anonymous.allocatedMiB} MiB, beside a sleeping one | ${r.anonymous.capMiB} MiB | stopped (${r.anonymous.exit}); OOM kills counted: ${r.anonymous.oomKills}; the group peaked at ${r.anonymous.peakMiB} MiB; the sleeping process ${r.anonymous.siblingAlive ? "ran on" : "was stopped too"} |`,
  `| ${r.tmpfs.writtenMiB} MiB written to a sandbox's /tmp (tmpfs) | ${r.tmpfs.capMiB} MiB | writer stopped (${r.tmpfs.exit}); OOM kills counted: ${r.tmpfs.oomKills}: files in /tmp are memory, and count |`,
  `| ${r.kernelMemory.emptyFolders} empty folders in a sandbox's /tmp (kernel objects only; the process holds ${r.kernelMemory.processRssMiB} MiB) | 1024 MiB | the group's usage grew ${r.kernelMemory.groupUsageMiB} MiB, ${r.kernelMemory.kernelMemoryMiB} MiB of it kernel memory: the kernel's own memory for the environment counts against its cap |`,
  ...r.cpu.map(
    (c) =>
      `| a busy loop for ${c.wallS} s of wall time | ${c.capCpus} CPU | it got ${c.cpuS} CPU seconds (${(c.cpuS / c.wallS).toFixed(2)} CPU); throttled in ${c.throttled} of ${c.periods} periods of 100 ms |`,
  ),
  `| swap | — | this machine has ${r.swap.swapMiB} MiB of swap; memory + swap is capped too: ${r.swap.memswCapped} |`,
  "",
  "Read with the load average: a busy machine gives an uncapped loop less than its cap, so the CPU rows show the cap",
  "through the periods it was throttled in, not only through the CPU seconds.",
  "",
];
fs.mkdirSync(here, { recursive: true });
fs.writeFileSync(path.join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
fs.writeFileSync(path.join(here, "REPORT.md"), report.join("\n"));
console.log(report.join("\n"));
