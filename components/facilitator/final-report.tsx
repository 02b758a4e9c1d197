import { catalogue } from "@/lib/diagnosis/catalogue";
import { isDiagnosisCode } from "@/lib/diagnosis/codes";
import type { UsageUnit } from "@/lib/providers/contract";
import type { FinalReportRow } from "@/lib/room/report";
import { formatUsage, usageLabel } from "@/lib/usage-words";

interface CauseMet {
  code: string;
  attendees: number;
  times: number;
}

/** After the event's end: every environment, when it was deleted and what it used; and the causes the room met. */
export function FinalReport({ report, unit, causes }: { report: { rows: FinalReportRow[]; total: number; stillLive: number }; unit: UsageUnit; causes: CauseMet[] }) {
  const { rows, total, stillLive } = report;
  return (
    <section aria-labelledby="final-heading" data-testid="final-report" className="rounded-lg border border-line bg-card p-4">
      <h2 id="final-heading" className="text-lg font-semibold">Final report</h2>
      <p className={stillLive ? "text-bad" : "text-ok"}>
        {stillLive ? `${stillLive} environment(s) not yet deleted — the portal keeps retrying.` : "Every environment is deleted."} Total:{" "}
        {unit === "cpu-seconds" ? `${formatUsage(unit, total)} CPU seconds` : formatUsage(unit, total, "room")}.
      </p>
      <table className="mt-3 w-full text-left text-sm">
        <thead>
          <tr className="border-b border-line">
            <th scope="col" className="py-1">Attendee</th>
            <th scope="col" className="py-1">Stack</th>
            <th scope="col" className="py-1">Status</th>
            <th scope="col" className="py-1">Deleted at</th>
            <th scope="col" className="py-1">{usageLabel(unit, "column")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.envId} className="border-b border-line">
              <td className="py-1">{r.attendee}</td>
              <td className="py-1 font-mono">{r.stackName}</td>
              <td className="py-1 font-mono">{r.status}</td>
              <td className="py-1">{r.deletedAt ? new Date(r.deletedAt).toLocaleString() : "—"}</td>
              <td className="py-1">{formatUsage(unit, r.usage)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 className="mt-4 font-semibold">Causes met</h3>
      {causes.length === 0 ? (
        <p className="text-muted" data-testid="final-causes-none">No environment showed a failure.</p>
      ) : (
        <table className="mt-2 w-full text-left text-sm" data-testid="final-causes">
          <thead>
            <tr className="border-b border-line">
              <th scope="col" className="py-1">Cause</th>
              <th scope="col" className="py-1">Attendees</th>
              <th scope="col" className="py-1">Times an environment turned to it</th>
            </tr>
          </thead>
          <tbody>
            {causes.map((c) => (
              <tr key={c.code} data-testid="final-cause" data-code={c.code} className="border-b border-line">
                <td className="py-1">{isDiagnosisCode(c.code) ? catalogue[c.code].title : c.code} <code className="text-muted">{c.code}</code></td>
                <td className="py-1">{c.attendees}</td>
                <td className="py-1">{c.times}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
