import { formatMiB, type EnvironmentCaps } from "@/lib/providers/contract";

// What an attendee reads about their environment's caps (lib/providers/local/caps.ts), on the
// environment page, in the browser as on the server: what it may use, and, when reaching the
// memory cap stopped something, what happened and what to change.

/** "up to 2.0 GiB of memory (2 workers × 512 MiB, and 1.0 GiB for …) and 2 CPUs" for `workers` workers. */
export function capsWords(caps: EnvironmentCaps, workers: number): string {
  const split = `${workers} worker${workers === 1 ? "" : "s"} × ${formatMiB(caps.workerMemoryMiB)}, and ${formatMiB(caps.notebookMemoryMiB)} for the scheduler, JupyterLab and your kernels`;
  return `Your environment may use up to ${formatMiB(caps.memoryMiB)} of memory (${split}) and ${caps.cpus} CPU${caps.cpus === 1 ? "" : "s"}.`;
}

/** What happened the last time the memory cap stopped something, and what to change; null if it never did. */
export function outOfMemoryWords(caps: EnvironmentCaps, at: (iso: string) => string): string | null {
  const hit = caps.outOfMemory;
  if (!hit) return null;
  const cap = formatMiB(caps.memoryMiB);
  if (hit.stopped === "kernel") {
    return (
      `At ${at(hit.at)} your notebook's kernel (or a program it started) was stopped: together with the rest of your environment it reached its memory cap of ${cap}. ` +
      "Your cluster and JupyterLab kept running. Restart the kernel (Kernel → Restart Kernel) and keep big data on the cluster: work with Dask arrays, " +
      "call .compute() only on small results, persist less, or read fewer months at once. If the notebook itself needs more memory, ask the facilitator to raise PORTAL_LOCAL_NOTEBOOK_MEMORY."
    );
  }
  const why = hit.limit === "worker" ? `it held more than a worker's ${formatMiB(caps.workerMemoryMiB)}` : `your environment reached its memory cap of ${cap}`;
  return (
    `At ${at(hit.at)} task ${hit.taskId ?? "a worker"} was stopped (OutOfMemoryError): ${why}. ` +
    "The portal starts a replacement. Use smaller chunks so each task holds less, persist less at once, or ask the facilitator to give workers more memory (PORTAL_LOCAL_WORKER_MEMORY)."
  );
}
