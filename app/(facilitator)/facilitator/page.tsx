import Link from "next/link";
import { AwsPanel } from "@/components/facilitator/aws-panel";
import { BackupCard } from "@/components/facilitator/backup-card";
import { CapacityCard } from "@/components/facilitator/capacity-card";
import { FinalReport } from "@/components/facilitator/final-report";
import { IsolationLine } from "@/components/facilitator/isolation-line";
import { LimitsCard } from "@/components/facilitator/limits-card";
import { ReconcileButton } from "@/components/facilitator/reconcile-button";
import { RehearsalCard } from "@/components/facilitator/rehearsal-card";
import { RoomImageCard } from "@/components/facilitator/room-image-card";
import { RoomDashboard } from "@/components/facilitator/room-dashboard";
import { pageViewer } from "@/lib/auth/session";
import { causesMet } from "@/lib/db/diagnosis-queries";
import { memoryAdvice } from "@/lib/diagnosis/memory-advice";
import { countAttendees } from "@/lib/db/attendee-queries";
import { listLabs } from "@/lib/labs";
import { eventInfo } from "@/lib/room/event";
import { deploysClosedReason, eventLimits } from "@/lib/room/limits";
import { finalReport } from "@/lib/room/report";
import { ready } from "@/lib/runtime";

export const metadata = { title: "Facilitator" };
export const dynamic = "force-dynamic";

export default async function FacilitatorPage() {
  await pageViewer("facilitator");
  const { provider, room, config, backups } = await ready();
  const event = eventInfo(config.eventName);
  const initial = room.view();
  const unit = provider.usage.unit;
  const labTitles = Object.fromEntries(listLabs().map((l) => [l.slug, `${l.order}. ${l.title}`]));
  return (
    <div className="space-y-6">
      <header className="flex flex-wrap items-end gap-4">
        <div className="mr-auto">
          <h1 className="text-3xl font-semibold tracking-tight">Facilitator · {event.name}</h1>
          <p className="mt-1 text-muted">
            {event.endsAt ? `Ends ${new Date(event.endsAt).toUTCString()}` : "No end time set — set one so nothing runs overnight."}
          </p>
        </div>
        {provider.listStacks && <ReconcileButton />}
        <Link href="/facilitator/attendees" className="text-accent underline">Attendees</Link>
        <Link href="/facilitator/audit" className="text-accent underline">Audit log</Link>
      </header>
      {event.endedAt && <FinalReport report={finalReport(unit)} unit={unit} causes={causesMet()} />}
      <LimitsCard limits={eventLimits(config)} attendees={countAttendees()} deploysClosed={deploysClosedReason(event)} />
      {provider.isolation && <IsolationLine isolation={await provider.isolation()} />}
      {provider.capacity && <CapacityCard capacity={provider.capacity.report()} />}
      <BackupCard status={backups.status()} />
      {/* Preflight plans for the room the event may hold (PORTAL_MAX_ATTENDEES), not only those already here. */}
      {provider.cloud && <AwsPanel attendees={eventLimits(config).maxAttendees} />}
      {provider.image && <RoomImageCard />}
      {provider.rehearsal && <RehearsalCard />}
      <RoomDashboard
        initial={initial}
        unit={unit}
        labTitles={labTitles}
        event={{ name: event.name, startsAt: event.startsAt, endsAt: event.endsAt }}
        problemTools={{ buildImage: Boolean(provider.image), cloud: Boolean(provider.cloud), memoryAdvice: memoryAdvice(config) }}
        stuckMinutes={config.stuckMinutes}
      />
    </div>
  );
}
