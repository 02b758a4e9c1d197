import { requireViewer } from "@/lib/auth/session";
import { listAudit } from "@/lib/db/audit-queries";
import { errorResponse } from "@/lib/errors";
import { toCsv } from "@/lib/room/csv";

export const dynamic = "force-dynamic";

/** The audit log as CSV, newest first. */
export async function GET() {
  try {
    await requireViewer("facilitator");
    const rows = listAudit(100_000);
    const csv = toCsv(
      ["at", "actor_id", "actor_role", "action", "target", "result", "detail"],
      rows.map((r) => [r.at, r.actorId, r.actorRole, r.action, r.target ?? "", r.result, r.detail ?? ""]),
    );
    return new Response(csv, {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`,
      },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
