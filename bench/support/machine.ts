import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

// What every benchmark report says about where it ran, and the median they all quote.

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** The machine, the Python env's Dask, the load before the runs, and the commit (flagged when `watched` has uncommitted changes). */
export function machine(watched?: string) {
  const python = path.resolve(process.env.PORTAL_PYTHON_ENV ?? ".venv", "bin", "python");
  const dirty = watched && quiet("git", ["status", "--porcelain", watched]) ? ` with uncommitted changes to ${watched}` : "";
  return {
    cpu: `${os.cpus()[0]?.model ?? "unknown"} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    dask: quiet(python, ["-c", "import dask, distributed, sys; print(f'dask {dask.__version__}, distributed {distributed.__version__}, Python {sys.version.split()[0]}')"]),
    load: os.loadavg().map((l) => l.toFixed(2)).join(" "),
    commit: `${quiet("git", ["rev-parse", "--short", "HEAD"])}${dirty}`,
  };
}

export type Machine = ReturnType<typeof machine>;

/** The report's "Machine" section, as Markdown lines. */
export function machineSection(info: Machine): string[] {
  return [
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${info.cpu} |`,
    `| memory | ${info.memory} |`,
    `| OS | ${info.os} |`,
    `| Node.js | ${info.node} |`,
    `| Python env | ${info.dask} |`,
    `| load average before the runs | ${info.load} |`,
    `| commit | ${info.commit} |`,
    "",
  ];
}

/** The median, to two decimals. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return Math.round((sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) * 100) / 100;
}
