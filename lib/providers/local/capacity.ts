import fs from "node:fs";
import os from "node:os";
import { formatMiB, ProviderError, type RoomCapacity } from "@/lib/providers/contract";

// How many local environments this machine holds. Each environment is planned at its memory
// cap: its workers' memory limits plus what its scheduler, JupyterLab and kernels may use
// together (PORTAL_LOCAL_NOTEBOOK_MEMORY), which the kernel enforces on all of them (caps.ts).
// Where caps do not hold (PORTAL_LOCAL_ACCEPT=uncapped), the largest environment measured so
// far (the resident memory of all its processes) counts when it is larger. A deploy that would
// push the live environments' plans past the machine's memory (less a reserve for the portal
// and the system) is refused before anything starts. CPU is shared, not planned: each
// environment may use at most PORTAL_LOCAL_CPUS of the machine's cores.

export interface Machine {
  cores: number;
  memoryMiB: number;
}

export function thisMachine(): Machine {
  return { cores: os.cpus().length, memoryMiB: Math.floor(os.totalmem() / 2 ** 20) };
}

export interface CapacitySettings {
  machine: Machine;
  /** Kept free for the portal, the system and other programs. */
  reserveMiB: number;
  /** Each worker's `--memory-limit`. */
  workerMemoryMiB: number;
  /** What the scheduler, JupyterLab and kernels of one environment may use together. */
  notebookMemoryMiB: number;
  /** CPUs one environment may use. */
  cpus: number;
  /** Whether the caps hold on this machine (else measurements count too). */
  capped: boolean;
  /** Workers a new environment starts with. */
  defaultWorkers: number;
}

/** Memory planned for an environment with `workers` workers: its cap (environment.ts capsFor), or its measurement when uncapped and larger. */
export function plannedMiB(settings: CapacitySettings, workers: number, measuredMiB: number | null): number {
  const cap = workers * settings.workerMemoryMiB + settings.notebookMemoryMiB;
  return settings.capped ? cap : Math.max(cap, measuredMiB ?? 0);
}

/** The room's capacity, given each live environment's worker count and the largest measurement. */
export function roomCapacity(settings: CapacitySettings, liveWorkers: number[], measuredMiB: number | null): RoomCapacity {
  const usable = Math.max(0, settings.machine.memoryMiB - settings.reserveMiB);
  const perEnvironment = plannedMiB(settings, settings.defaultWorkers, measuredMiB);
  const plannedLive = liveWorkers.reduce((sum, w) => sum + plannedMiB(settings, w, measuredMiB), 0);
  return {
    cores: settings.machine.cores,
    memoryMiB: settings.machine.memoryMiB,
    reserveMiB: settings.reserveMiB,
    workerMemoryMiB: settings.workerMemoryMiB,
    notebookMemoryMiB: settings.notebookMemoryMiB,
    workersPerEnvironment: settings.defaultWorkers,
    capped: settings.capped,
    cpusPerEnvironment: settings.cpus,
    measuredMiB,
    plannedPerEnvironmentMiB: perEnvironment,
    live: liveWorkers.length,
    plannedLiveMiB: plannedLive,
    fit: Math.floor(usable / perEnvironment),
    more: Math.max(0, Math.floor((usable - plannedLive) / perEnvironment)),
  };
}

/** Throws, with what to do, when one more environment with `workers` workers would overcommit memory. */
export function admitOrRefuse(settings: CapacitySettings, liveWorkers: number[], workers: number, measuredMiB: number | null): void {
  const room = roomCapacity(settings, liveWorkers, measuredMiB);
  const needed = plannedMiB(settings, workers, measuredMiB);
  const usable = room.memoryMiB - room.reserveMiB;
  if (room.plannedLiveMiB + needed <= usable) return;
  throw new ProviderError(
    "unavailable",
    `This machine is full: ${room.live} environment${room.live === 1 ? "" : "s"} already plan ${formatMiB(room.plannedLiveMiB)} ` +
      `and a new one needs ${formatMiB(needed)}, but only ${formatMiB(usable)} of ${formatMiB(room.memoryMiB)} may be used ` +
      `(${formatMiB(room.reserveMiB)} is kept free). Ask the facilitator to tear down idle environments, or to give ` +
      "workers less memory (PORTAL_LOCAL_WORKER_MEMORY), fewer workers (PORTAL_DEFAULT_WORKERS) or the notebooks less " +
      "(PORTAL_LOCAL_NOTEBOOK_MEMORY), then deploy again.",
  );
}

/** Resident memory (MiB) of a process, from /proc; null once it is gone. */
export function residentMiB(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? Number(kb[1]) / 1024 : 0;
  } catch {
    return null;
  }
}

/** Total resident memory (MiB) of each environment's processes, keyed by environment id. */
export function residentByEnvironment(processes: { pid: number; envId: string }[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const { pid, envId } of processes) {
    const mib = residentMiB(pid);
    if (mib !== null) totals.set(envId, (totals.get(envId) ?? 0) + mib);
  }
  return totals;
}
