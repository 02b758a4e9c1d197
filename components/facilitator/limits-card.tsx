import type { EventLimits } from "@/lib/room/limits";

export interface LimitsCardProps {
  limits: EventLimits;
  attendees: number;
  /** Why deploys are closed now, or null while they are open. */
  deploysClosed: string | null;
}

/** The limits that protect the event's account, and where the room stands against them. */
export function LimitsCard({ limits, attendees, deploysClosed }: LimitsCardProps) {
  const full = attendees >= limits.maxAttendees;
  return (
    <section aria-labelledby="limits-heading" className="rounded-lg border border-line bg-card p-4" data-testid="limits">
      <h2 id="limits-heading" className="text-lg font-semibold">Limits</h2>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <dt className="text-muted">Attendees</dt>
          <dd data-testid="limits-attendees" className={full ? "text-bad" : undefined}>
            {attendees} of {limits.maxAttendees}
            {full ? " — full" : ""}
          </dd>
        </div>
        <div>
          <dt className="text-muted">Environments</dt>
          <dd>one per attendee</dd>
        </div>
        <div>
          <dt className="text-muted">Workers per environment</dt>
          <dd data-testid="limits-workers">
            at most {limits.maxWorkers} (starts with {limits.defaultWorkers}); a higher count set from the notebook is set back
          </dd>
        </div>
        <div>
          <dt className="text-muted">Deploys</dt>
          <dd data-testid="limits-deploys" className={deploysClosed ? "text-warn" : "text-ok"}>
            {deploysClosed ?? "open"}
          </dd>
        </div>
      </dl>
    </section>
  );
}
