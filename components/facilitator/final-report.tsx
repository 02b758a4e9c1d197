import { listAttendees, listEnvironments } from "@/lib/db/queries";
import { usageByEnvironment } from "@/lib/db/room-queries";

/** After the event's end: every environment, when it was deleted and what it cost. */
export function FinalReport({ local }: { local: boolean }) {
  const envs = listEnvironments();
  const names = new Map(listAttendees().map((a) => [a.id, a.name]));
  const usage = usageByEnvironment();
  const total = envs.reduce((n, e) => n + (local ? usage.get(e.id)?.cpuSeconds ?? 0 : usage.get(e.id)?.costUsd ?? 0), 0);
  const still = envs.filter((e) => !e.deletedAt).length;
  return (
    <section aria-labelledby="final-heading" data-testid="final-report" className="rounded-lg border border-line bg-card p-4">
      <h2 id="final-heading" className="text-lg font-semibold">Final report</h2>
      <p className={still ? "text-bad" : "text-ok"}>
        {still ? `${still} environment(s) not yet deleted — the portal keeps retrying.` : "Every environment is deleted."} Total:{" "}
        {local ? `${total.toFixed(1)} CPU seconds` : `$${total.toFixed(2)}`}.
      </p>
      <table className="mt-3 w-full text-left text-sm">
        <thead>
          <tr className="border-b border-line">
            <th scope="col" className="py-1">Attendee</th>
            <th scope="col" className="py-1">Stack</th>
            <th scope="col" className="py-1">Status</th>
            <th scope="col" className="py-1">Deleted at</th>
            <th scope="col" className="py-1">{local ? "CPU seconds" : "Cost"}</th>
          </tr>
        </thead>
        <tbody>
          {envs.map((e) => (
            <tr key={e.id} className="border-b border-line">
              <td className="py-1">{names.get(e.attendeeId) ?? e.attendeeId}</td>
              <td className="py-1 font-mono">{e.stackName}</td>
              <td className="py-1 font-mono">{e.status}</td>
              <td className="py-1">{e.deletedAt ? new Date(e.deletedAt).toLocaleString() : "—"}</td>
              <td className="py-1">{local ? (usage.get(e.id)?.cpuSeconds ?? 0).toFixed(1) : `$${(usage.get(e.id)?.costUsd ?? 0).toFixed(3)}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
