import Link from "next/link";
import { notFound } from "next/navigation";
import { EnvironmentView } from "@/components/environment/environment-view";
import { requireFacilitator } from "@/lib/auth/session";
import { getAttendee } from "@/lib/db/queries";
import { environmentFor } from "@/lib/environments";
import { PortalError } from "@/lib/errors";
import { getProvider } from "@/lib/providers";

export const metadata = { title: "Attendee environment" };
export const dynamic = "force-dynamic";

export default async function AttendeeEnvironment({ params }: { params: Promise<{ id: string }> }) {
  const viewer = await requireFacilitator();
  let env;
  try {
    env = environmentFor(viewer, (await params).id);
  } catch (err) {
    if (err instanceof PortalError && err.code === "not_found") notFound();
    throw err;
  }
  const attendee = getAttendee(env.attendeeId);
  return (
    <div className="space-y-4">
      <p>
        <Link href="/facilitator" className="text-accent underline">← The room</Link>
      </p>
      <h1 className="text-2xl font-semibold">
        {attendee?.name ?? "Unknown attendee"} <span className="text-base font-normal text-muted">{attendee?.email}</span>
      </h1>
      <p className="text-sm text-muted">Read-only view: the facilitator acts from the roster.</p>
      <EnvironmentView envId={env.id} stackName={env.stackName} initialStatus={env.status} maxWorkers={getProvider().maxWorkers} readOnly />
    </div>
  );
}
