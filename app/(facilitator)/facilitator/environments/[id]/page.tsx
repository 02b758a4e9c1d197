import Link from "next/link";
import { notFound } from "next/navigation";
import { EnvironmentView } from "@/components/environment/environment-view";
import { pageViewer } from "@/lib/auth/session";
import { currentDiagnosisOf } from "@/lib/db/diagnosis-queries";
import { getAttendee } from "@/lib/db/attendee-queries";
import { fromRow } from "@/lib/diagnosis/watch";
import { environmentFor } from "@/lib/environments";
import { PortalError } from "@/lib/errors";
import { portalPins } from "@/lib/image/pins";
import { ready } from "@/lib/runtime";

export const metadata = { title: "Attendee environment" };
export const dynamic = "force-dynamic";

export default async function AttendeeEnvironment({ params }: { params: Promise<{ id: string }> }) {
  const viewer = await pageViewer("facilitator");
  const { provider, watchers } = await ready();
  let env;
  try {
    env = environmentFor(viewer, (await params).id);
  } catch (err) {
    if (PortalError.is(err) && err.code === "not_found") notFound();
    throw err;
  }
  const attendee = getAttendee(env.attendeeId);
  const diagnosis = env.deletedAt ? undefined : currentDiagnosisOf(env.id);
  return (
    <div className="space-y-4">
      <p>
        <Link href="/facilitator" className="text-accent underline">← The room</Link>
      </p>
      <h1 className="text-2xl font-semibold">
        {attendee?.name ?? "Unknown attendee"} <span className="text-base font-normal text-muted">{attendee?.email}</span>
      </h1>
      <p className="text-sm text-muted">Read-only view: the facilitator acts from the roster.</p>
      <EnvironmentView envId={env.id} stackName={env.stackName} initialStatus={env.status} maxWorkers={provider.maxWorkers}
          dashboardAccess={provider.dashboardAccess.mode}
          initialProgress={watchers.progressOf(env.id)}
          initialDiagnosis={diagnosis ? fromRow(diagnosis) : null}
          portalPins={portalPins()} readOnly />
    </div>
  );
}
