import { DeployButton } from "@/components/environment/deploy-button";
import { EnvironmentView } from "@/components/environment/environment-view";
import { pageViewer } from "@/lib/auth/session";
import { currentDiagnosisOf } from "@/lib/db/diagnosis-queries";
import { liveEnvironmentOf } from "@/lib/db/environment-queries";
import { fromRow } from "@/lib/diagnosis/watch";
import { portalPins } from "@/lib/image/pins";
import { ready } from "@/lib/runtime";

export const metadata = { title: "My environment" };
export const dynamic = "force-dynamic";

export default async function EnvironmentPage() {
  const viewer = await pageViewer("attendee");
  const { provider, watchers } = await ready();
  const env = liveEnvironmentOf(viewer.id);
  const diagnosis = env ? currentDiagnosisOf(env.id) : undefined;
  // As the provider last found its backend: loading this page asks the backend nothing.
  const backend = provider.lastKnownHealth();

  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-3xl font-semibold tracking-tight">My Dask environment</h1>
        <p className="mt-1 max-w-[72ch] text-muted">{provider.description}</p>
      </header>
      {backend.state === "degraded" && (
        <p role="alert" className="rounded border border-bad px-3 py-2 text-bad">
          The portal cannot reach where environments run right now, so deploying or scaling may fail. Your facilitator can see why.
        </p>
      )}
      {env ? (
        <EnvironmentView key={env.id} envId={env.id} stackName={env.stackName} initialStatus={env.status} maxWorkers={provider.maxWorkers}
          dashboardAccess={provider.dashboardAccess.mode}
          initialProgress={watchers.progressOf(env.id)}
          initialDiagnosis={diagnosis ? fromRow(diagnosis) : null}
          portalPins={portalPins()} />
      ) : (
        <section className="rounded-lg border border-line bg-card p-6">
          <p className="mb-4 max-w-[72ch]">
            You have no environment running. Deploying creates one scheduler, {provider.defaultWorkers} workers and a
            notebook; you can scale workers from 0 to {provider.maxWorkers} once it is up.
          </p>
          <DeployButton />
        </section>
      )}
    </div>
  );
}
