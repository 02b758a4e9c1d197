import { ReturnCodeNotice } from "@/components/auth/return-code-notice";
import { AttendeeLive } from "@/components/room/attendee-live";
import { pendingReturnCode } from "@/lib/auth/reveal";
import { pageViewer } from "@/lib/auth/session";
import { currentDiagnosisOf } from "@/lib/db/diagnosis-queries";
import { liveEnvironmentOf } from "@/lib/db/environment-queries";
import { helpMessageFor } from "@/lib/diagnosis/catalogue";
import { isDiagnosisCode } from "@/lib/diagnosis/codes";
import { diagnosisOf } from "@/lib/diagnosis/diagnose";

/** The workshop's pages (labs, my environment): announcements, the countdown and the help button follow an attendee everywhere. */
export default async function AttendeeLayout({ children }: { children: React.ReactNode }) {
  const viewer = await pageViewer();
  const returnCode = viewer.role === "attendee" ? pendingReturnCode(viewer.id) : undefined;
  const env = viewer.role === "attendee" ? liveEnvironmentOf(viewer.id) : undefined;
  const diagnosis = env ? currentDiagnosisOf(env.id) : undefined;
  const suggestedHelp = diagnosis && isDiagnosisCode(diagnosis.code) ? helpMessageFor(diagnosisOf(diagnosis.code)) : "";
  return (
    <>
      {returnCode && <ReturnCodeNotice code={returnCode} />}
      {viewer.role === "attendee" && (
        <div className="mb-4">
          <AttendeeLive hasEnvironment={Boolean(env)} suggestedHelp={suggestedHelp} />
        </div>
      )}
      {children}
    </>
  );
}
