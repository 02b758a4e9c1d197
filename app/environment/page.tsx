import { DeployButton } from "@/components/environment/deploy-button";
import { EnvironmentView } from "@/components/environment/environment-view";
import { requireAttendee } from "@/lib/auth/session";
import { liveEnvironmentOf } from "@/lib/db/queries";
import { getProvider } from "@/lib/providers";

export const metadata = { title: "My environment" };
export const dynamic = "force-dynamic";

export default async function EnvironmentPage() {
  const viewer = await requireAttendee();
  const env = liveEnvironmentOf(viewer.id);
  const provider = getProvider();
  const backend = (await provider.health?.()) ?? { ok: true, message: "" };

  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-3xl font-semibold tracking-tight">My Dask environment</h1>
        <p className="mt-1 max-w-[72ch] text-muted">
          {provider.name === "local"
            ? "Runs a real Dask scheduler, workers and JupyterLab on this machine — the same stages you would see on Amazon ECS."
            : "A CloudFormation stack in AWS: an ECS cluster on Fargate with a Dask scheduler, workers and a SageMaker notebook."}
        </p>
      </header>
      {!backend.ok && (
        <p role="alert" className="rounded border border-bad px-3 py-2 text-bad">
          {backend.message}
        </p>
      )}
      {env ? (
        <EnvironmentView
          key={env.id}
          envId={env.id}
          stackName={env.stackName}
          initialStatus={env.status}
          maxWorkers={provider.maxWorkers}
        />
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
