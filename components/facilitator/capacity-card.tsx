import { formatMiB as size, type RoomCapacity } from "@/lib/providers/local/capacity";

/** This machine against the room: its cores and memory, one environment's footprint, how many fit. */
export function CapacityCard({ capacity: c }: { capacity: RoomCapacity }) {
  const full = c.more === 0;
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
          <dd data-testid="capacity-footprint">
            {size(c.footprintMiB)} {c.footprintMeasured ? "measured (largest so far)" : "estimated (none measured yet)"}; planned at{" "}
            {size(c.plannedPerEnvironmentMiB)}: {c.workersPerEnvironment} worker{c.workersPerEnvironment === 1 ? "" : "s"} ×{" "}
            {size(c.workerMemoryMiB)} plus scheduler and JupyterLab
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
