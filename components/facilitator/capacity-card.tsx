import { formatMiB as size, type RoomCapacity } from "@/lib/providers/contract";

/** This machine against the room: its cores and memory, one environment's caps, how many fit. */
export function CapacityCard({ capacity: c }: { capacity: RoomCapacity }) {
  const full = c.more === 0;
  const workers = `${c.workersPerEnvironment} worker${c.workersPerEnvironment === 1 ? "" : "s"} × ${size(c.workerMemoryMiB)}`;
  return (
    <section aria-labelledby="capacity-heading" className="rounded-lg border border-line bg-card p-4" data-testid="capacity">
      <h2 id="capacity-heading" className="text-lg font-semibold">This machine</h2>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <dt className="text-muted">Cores and memory</dt>
          <dd data-testid="capacity-machine">
            {c.cores} cores, {size(c.memoryMiB)} ({size(c.reserveMiB)} kept free)
          </dd>
        </div>
        <div>
          <dt className="text-muted">One environment</dt>
          <dd data-testid="capacity-footprint" data-capped={c.capped}>
            {c.capped ? "capped at " : "planned at "}
            {size(c.plannedPerEnvironmentMiB)} ({workers}, plus {size(c.notebookMemoryMiB)} for its scheduler, JupyterLab and kernels)
            {c.capped ? ` and ${c.cpusPerEnvironment} CPUs` : ", not capped: a larger measurement counts instead"}
            {c.measuredMiB !== null ? `; largest measured so far ${size(c.measuredMiB)}` : ""}
          </dd>
        </div>
        <div>
          <dt className="text-muted">Environments that fit</dt>
          <dd data-testid="capacity-fit">{c.fit}</dd>
        </div>
        <div>
          <dt className="text-muted">Running now</dt>
          <dd data-testid="capacity-live" className={full ? "text-warn" : undefined}>
            {c.live} planning {size(c.plannedLiveMiB)}; {full ? "full — new deploys are refused" : `room for ${c.more} more`}
          </dd>
        </div>
      </dl>
    </section>
  );
}
