"use client";

import { connectionWords, type Connection } from "@/components/stream/use-event-stream";
import { capsWords, outOfMemoryWords } from "@/lib/caps-words";
import type { EnvironmentDiagnosis } from "@/lib/diagnosis/codes";
import { pinsWarning, progressWords, type ClusterProgress } from "@/lib/labs/progress-line";
import type { DashboardAccessMode, EnvironmentLinks } from "@/lib/providers/contract";
import { isDeletable, isFailed, isInProgress, isReady } from "@/lib/status";
import { DiagnosisPanel } from "./diagnosis-panel";
import { DeployAgain, ScaleControl, Teardown } from "./environment-actions";
import { LogPanel } from "./log-panel";
import { StatusBadge } from "./status-badge";
import { TaskTable } from "./task-table";
import { useEnvironmentStream } from "./use-environment-stream";

export interface EnvironmentViewProps {
  envId: string;
  stackName: string;
  initialStatus: string;
  maxWorkers: number;
  /** How the dashboard is reached (the provider's dashboardAccess), said beside its link. */
  dashboardAccess: DashboardAccessMode;
  /** The facilitator's view: no actions, no notebook (it is the attendee's own). */
  readOnly?: boolean;
  /** The scheduler's newest progress line the portal had stored when the page was made. */
  initialProgress?: ClusterProgress | null;
  /** The pins this portal's workshop was written for (lib/image/pins.ts). */
  portalPins?: string | null;
  /** The latest failure's diagnosis when the page was made (lib/diagnosis). */
  initialDiagnosis?: EnvironmentDiagnosis | null;
}

export function EnvironmentView({ envId, stackName, initialStatus, maxWorkers, dashboardAccess, readOnly = false, initialProgress = null, portalPins = null, initialDiagnosis = null }: EnvironmentViewProps) {
  const state = useEnvironmentStream(envId, initialStatus, initialProgress, initialDiagnosis);
  const otherPins = pinsWarning(state.clusterProgress?.pins ?? null, portalPins);
  const tasks = Object.values(state.tasks);
  const pct = state.progress.total ? Math.round((state.progress.done / state.progress.total) * 100) : 0;

  return (
    <div className="space-y-6" data-testid="environment" data-env-id={envId}>
      {state.diagnosis && <DiagnosisPanel envId={envId} diagnosis={state.diagnosis} owner={!readOnly} />}
      <section aria-labelledby="stack-heading" className="rounded-lg border border-line bg-card p-5">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="stack-heading" className="text-lg font-semibold">
            Stack <code className="font-mono text-base">{stackName}</code>
          </h2>
          <StatusBadge status={state.status} />
          <ConnectionNote connection={state.connection} />
        </div>
        {state.reason && (
          <p className={`mt-2 ${isFailed(state.status) ? "text-bad" : "text-muted"}`} data-testid="env-reason">
            {state.reason}
          </p>
        )}
        {state.degraded && (
          <p role="status" className="mt-2 rounded border border-warn px-3 py-1.5 text-warn">
            Degraded — retrying: {state.degraded}
          </p>
        )}
        {(isInProgress(state.status) || pct < 100) && state.progress.total > 0 && (
          <div className="mt-4">
            <div
              role="progressbar"
              aria-label="Stack resources complete"
              aria-valuemin={0}
              aria-valuemax={state.progress.total}
              aria-valuenow={state.progress.done}
              className="h-2 rounded bg-line"
            >
              <div className="h-2 rounded bg-accent transition-all" style={{ width: `${pct}%` }} />
            </div>
            <p className="mt-1 text-sm text-muted">
              {state.progress.done} of {state.progress.total} resources complete
            </p>
          </div>
        )}
        {isReady(state.status) && <Links envId={envId} links={state.links} owner={!readOnly} dashboardAccess={dashboardAccess} />}
        {state.clusterProgress && (
          <p className="mt-3 text-sm" data-testid="cluster-progress">
            Cluster progress, as the scheduler last logged it: {progressWords(state.clusterProgress)}
          </p>
        )}
        {otherPins && (
          <p role="alert" data-testid="pins-warning" className="mt-2 rounded border border-warn px-3 py-1.5 text-warn">
            {otherPins}
          </p>
        )}
        {state.caps && (
          <p className="mt-2 text-sm text-muted" data-testid="env-caps">
            {capsWords(state.caps, state.desiredWorkers)}
          </p>
        )}
        {state.caps?.outOfMemory && (
          <p role="alert" data-testid="out-of-memory" data-stopped={state.caps.outOfMemory.stopped} className="mt-2 rounded border border-bad px-3 py-1.5 text-bad">
            {outOfMemoryWords(state.caps, (iso) => new Date(iso).toLocaleTimeString())}
          </p>
        )}
      </section>

      {!readOnly && isDeletable(state.status) && (
        <section aria-label="Actions" className="flex flex-wrap items-end gap-6">
          {isReady(state.status) && <ScaleControl envId={envId} maxWorkers={maxWorkers} desired={state.desiredWorkers} />}
          <Teardown envId={envId} status={state.status} />
        </section>
      )}
      {!readOnly && state.status === "DELETE_COMPLETE" && <DeployAgain />}

      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading" className="mb-2 text-lg font-semibold">
          Tasks <span className="text-sm font-normal text-muted">· {state.desiredWorkers} worker(s) desired</span>
        </h2>
        <TaskTable tasks={tasks} />
      </section>

      <section aria-labelledby="logs-heading">
        <h2 id="logs-heading" className="mb-2 text-lg font-semibold">Scheduler and worker logs</h2>
        <LogPanel lines={state.logs} taskIds={tasks.map((t) => t.id)} />
      </section>

      {state.stackEvents.length > 0 && (
        <details className="rounded-lg border border-line bg-card p-4">
          <summary className="cursor-pointer font-semibold">Stack events ({state.stackEvents.length})</summary>
          <ol className="mt-3 space-y-1 font-mono text-sm">
            {state.stackEvents.map((e) => (
              <li key={e.id}>
                <span className="text-muted">{new Date(e.at).toLocaleTimeString()}</span> {e.resource} <strong>{e.status}</strong>
                {e.reason ? ` — ${e.reason}` : ""}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

function ConnectionNote({ connection }: { connection: Connection }) {
  if (connection === "live") return <span className="text-sm text-ok">{connectionWords(connection)}</span>;
  return (
    <span role="status" data-testid="stream-state" className="text-sm text-warn">
      {connectionWords(connection)}
    </span>
  );
}

/**
 * The notebook and the dashboard open through the portal's routes, which make their address
 * at that moment and for whom may open them: a local environment's on the content origin
 * (after a one-time ticket), an AWS one's as a presigned URL or the console's link (notebook)
 * or the dashboard's own address once the viewer's address is let in; which of the two the
 * dashboard is, the sentence beside its link says. The scheduler address is shown as it is.
 */
function Links({ envId, links, owner, dashboardAccess }: { envId: string; links: EnvironmentLinks; owner: boolean; dashboardAccess: DashboardAccessMode }) {
  return (
    <>
      <div className="mt-4 flex flex-wrap items-center gap-4">
        {owner && links.notebookReady && (
          <a
            data-testid="notebook-link"
            href={`/environments/${envId}/notebook`}
            target="_blank"
            rel="noreferrer noopener"
            className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg"
          >
            Open the notebook
          </a>
        )}
        {owner && !links.notebookReady && links.schedulerAddress && (
          // The cluster is ready; JupyterLab starts alongside and the link appears when it answers.
          <span data-testid="notebook-starting" className="rounded-md border border-line px-4 py-2 text-muted">
            Notebook starting…
          </span>
        )}
        {links.dashboard && (
          <a data-testid="dashboard-link" href={`/environments/${envId}/dashboard`} target="_blank" rel="noreferrer noopener" className="rounded-md border border-line px-4 py-2 font-medium">
            Dask dashboard
          </a>
        )}
        {links.schedulerAddress && (
          <span className="text-sm text-muted">
            Scheduler: <code className="font-mono">{links.schedulerAddress}</code>
          </span>
        )}
      </div>
      {links.dashboard && (
        <p data-testid="dashboard-access" data-mode={dashboardAccess} className="mt-2 max-w-[72ch] text-sm text-muted">
          {dashboardAccessWords[dashboardAccess]}
        </p>
      )}
    </>
  );
}

const dashboardAccessWords: Record<DashboardAccessMode, string> = {
  proxied: "The dashboard opens through the portal: only this environment's owner and the facilitator can reach it.",
  "admit-address":
    "The dashboard opens at the scheduler's own address: opening it lets in the network address the portal sees for you, so anyone sharing that address (a venue's Wi-Fi) can reach it too.",
};
