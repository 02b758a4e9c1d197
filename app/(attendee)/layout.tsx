import { ReturnCodeNotice } from "@/components/auth/return-code-notice";
import { AttendeeLive } from "@/components/room/attendee-live";
import { pendingReturnCode } from "@/lib/auth/reveal";
import { pageViewer } from "@/lib/auth/session";
import { liveEnvironmentOf } from "@/lib/db/queries";

/** The workshop's pages (labs, my environment): announcements, the countdown and the help button follow an attendee everywhere. */
export default async function AttendeeLayout({ children }: { children: React.ReactNode }) {
  const viewer = await pageViewer();
  const returnCode = viewer.role === "attendee" ? pendingReturnCode(viewer.id) : undefined;
  return (
    <>
      {returnCode && <ReturnCodeNotice code={returnCode} />}
      {viewer.role === "attendee" && (
        <div className="mb-4">
          <AttendeeLive hasEnvironment={Boolean(liveEnvironmentOf(viewer.id))} />
        </div>
      )}
      {children}
    </>
  );
}
