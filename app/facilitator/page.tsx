import Link from "next/link";
import { AwsPanel } from "@/components/facilitator/aws-panel";
import { RoomDashboard } from "@/components/facilitator/room-dashboard";
import { FinalReport } from "@/components/facilitator/final-report";
import { ReconcileButton } from "@/components/facilitator/reconcile-button";
import { requireFacilitator } from "@/lib/auth/session";
import { portalConfig } from "@/lib/config";
import { costSamples, getEventSettings, listHelpQueue } from "@/lib/db/room-queries";
import { listLabs } from "@/lib/labs";
import { getProvider } from "@/lib/providers";
import { buildRoster } from "@/lib/room/roster";
import { getHub } from "@/lib/stream/hub";

export const metadata = { title: "Facilitator" };
export const dynamic = "force-dynamic";

export default async function FacilitatorPage() {
  await requireFacilitator();
  const hub = getHub();
  const event = getEventSettings(portalConfig().EVENT_NAME);
  const rows = buildRoster((id) => hub.peek(id)?.lastSnapshot ?? null);
  const labTitles = Object.fromEntries(listLabs().map((l) => [l.slug, `${l.order}. ${l.title}`]));
  const local = getProvider().name === "local";
  return (
    <div className="space-y-6">
      <header className="flex flex-wrap items-end gap-4">
        <div className="mr-auto">
          <h1 className="text-3xl font-semibold tracking-tight">Facilitator · {event.name}</h1>
          <p className="mt-1 text-muted">
            {event.endsAt ? `Ends ${new Date(event.endsAt).toUTCString()}` : "No end time set — set one so nothing runs overnight."}
          </p>
        </div>
        {!local && <ReconcileButton />}
        <Link href="/facilitator/audit" className="text-accent underline">Audit log</Link>
      </header>
      {event.endedAt && <FinalReport local={local} />}
      {!local && <AwsPanel attendees={rows.length} />}
      <RoomDashboard
        initial={{ rows, help: listHelpQueue(), cost: costSamples() }}
        local={local}
        labTitles={labTitles}
        event={{ name: event.name, startsAt: event.startsAt, endsAt: event.endsAt }}
      />
    </div>
  );
}
