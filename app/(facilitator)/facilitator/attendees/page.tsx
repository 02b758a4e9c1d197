import Link from "next/link";
import { AttendeeAdmin } from "@/components/facilitator/attendee-admin";
import { pageViewer } from "@/lib/auth/session";
import { listAttendeesForFacilitator } from "@/lib/db/attendee-queries";

export const metadata = { title: "Attendees" };
export const dynamic = "force-dynamic";

/** Who has joined, and the facilitator's hold on their sign-in: new return codes, sign-outs, removal. */
export default async function AttendeesPage() {
  await pageViewer("facilitator");
  const people = listAttendeesForFacilitator();
  return (
    <div className="space-y-4">
      <header className="flex flex-wrap items-end gap-4">
        <h1 className="mr-auto text-3xl font-semibold tracking-tight">Attendees</h1>
        <Link href="/facilitator" className="text-accent underline">Back to the room</Link>
      </header>
      <p className="max-w-3xl text-muted">
        Each attendee signs back in with their email, the join code and their own return code. Give a new code to someone who lost
        theirs (it also signs out anyone using the old one); remove someone who should not be here (their environment is deleted).
      </p>
      <AttendeeAdmin people={people} />
    </div>
  );
}
