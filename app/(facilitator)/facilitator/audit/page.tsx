import Link from "next/link";
import { pageViewer } from "@/lib/auth/session";
import { listAudit } from "@/lib/db/audit-queries";

export const metadata = { title: "Audit log" };
export const dynamic = "force-dynamic";

export default async function AuditPage() {
  await pageViewer("facilitator");
  const rows = listAudit(500);
  return (
    <div className="space-y-4">
      <p>
        <Link href="/facilitator" className="text-accent underline">← The room</Link>
      </p>
      <div className="flex flex-wrap items-end gap-4">
        <h1 className="mr-auto text-2xl font-semibold">Audit log</h1>
        <a href="/api/facilitator/audit" data-testid="audit-csv" className="rounded-md border border-line px-3 py-1.5">
          Export CSV
        </a>
      </div>
      <p className="text-sm text-muted">The latest {rows.length} actions; the CSV has all of them.</p>
      <div className="overflow-x-auto rounded-lg border border-line">
        <table className="w-full text-left text-sm">
          <thead className="bg-code">
            <tr>
              <th scope="col" className="px-2 py-2">When</th>
              <th scope="col" className="px-2 py-2">Who</th>
              <th scope="col" className="px-2 py-2">Action</th>
              <th scope="col" className="px-2 py-2">Target</th>
              <th scope="col" className="px-2 py-2">Result</th>
              <th scope="col" className="px-2 py-2">Detail</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="audit-row" className="border-t border-line">
                <td className="px-2 py-1">{new Date(r.at).toLocaleString()}</td>
                <td className="px-2 py-1">{r.actorRole} {r.actorRole === "attendee" ? r.actorId.slice(0, 8) : ""}</td>
                <td className="px-2 py-1 font-mono">{r.action}</td>
                <td className="px-2 py-1 font-mono">{r.target ?? ""}</td>
                <td className={`px-2 py-1 ${r.result === "ok" ? "text-ok" : "text-bad"}`}>{r.result}</td>
                <td className="px-2 py-1">{r.detail ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
