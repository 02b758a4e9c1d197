import { AttendeeLive } from "@/components/room/attendee-live";
import { pageViewer } from "@/lib/auth/session";
import { liveEnvironmentOf } from "@/lib/db/queries";

/** The workshop's pages (labs, my environment): announcements, the countdown and the help button follow an attendee everywhere. */
export default async function AttendeeLayout({ children }: { children: React.ReactNode }) {
  const viewer = await pageViewer();
  return (
    <>
      {viewer.role === "attendee" && (
        <div className="mb-4">
          <AttendeeLive hasEnvironment={Boolean(liveEnvironmentOf(viewer.id))} />
        </div>
      )}
      {children}
    </>
  );
}
