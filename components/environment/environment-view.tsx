"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { scaleAction, teardownAction } from "@/app/environment/actions";
import { useActionStatus } from "@/components/ui/action-status";
import { LogPanel } from "./log-panel";
import { StatusBadge } from "./status-badge";
import { TaskTable } from "./task-table";
import { useEnvironmentStream } from "./use-environment-stream";

export interface EnvironmentViewProps {
  envId: string;
  stackName: string;
  initialStatus: string;
  maxWorkers: number;
  readOnly?: boolean;
}

const READY = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"]);

export function EnvironmentView({ envId, stackName, initialStatus, maxWorkers, readOnly = false }: EnvironmentViewProps) {
  const state = useEnvironmentStream(envId, initialStatus);
  const tasks = Object.values(state.tasks);
  const deleting = state.status.startsWith("DELETE");
  const ready = READY.has(state.status);
  const inProgress = state.status.endsWith("_IN_PROGRESS");
  const pct = state.progress.total ? Math.round((state.progress.done / state.progress.total) * 100) : 0;

  return (
    <div className="space-y-6" data-testid="environment" data-env-id={envId}>
      <section aria-labelledby="stack-heading" className="rounded-lg border border-line bg-card p-5">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="stack-heading" className="text-lg font-semibold">
            Stack <code className="font-mono text-base">{stackName}</code>
          </h2>
          <StatusBadge status={state.status} />
          <ConnectionNote connection={state.connection} />
        </div>
        {state.reason && (
          <p className={`mt-2 ${state.status.includes("FAILED") ? "text-bad" : "text-muted"}`} data-testid="env-reason">
            {state.reason}
          </p>
        )}
        {state.degraded && (
          <p role="status" className="mt-2 rounded border border-warn px-3 py-1.5 text-warn">
            Degraded — retrying: {state.degraded}
          </p>
        )}
        {(inProgress || pct < 100) && state.progress.total > 0 && (
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
        {ready && <Links links={state.links} />}
      </section>

      {!readOnly && !deleting && (
        <section aria-label="Actions" className="flex flex-wrap items-end gap-6">
          {ready && <ScaleControl envId={envId} maxWorkers={maxWorkers} desired={state.desiredWorkers} />}
          <Teardown envId={envId} failed={state.status.includes("FAILED") || state.status === "ROLLBACK_COMPLETE"} />
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
                <span className="text-muted">{new Date(e.at).toLocaleTimeString()}</span> {e.resource}{" "}
                <strong>{e.status}</strong>
                {e.reason ? ` — ${e.reason}` : ""}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

function ConnectionNote({ connection }: { connection: string }) {
  if (connection === "live") return <span className="text-sm text-ok">● live</span>;
  const text = connection === "connecting" ? "connecting…" : "reconnecting… (updates paused)";
  return (
    <span role="status" data-testid="stream-state" className="text-sm text-warn">
      {text}
    </span>
  );
}

function Links({ links }: { links: { dashboard?: string; notebook?: string; schedulerAddress?: string } }) {
  return (
    <div className="mt-4 flex flex-wrap items-center gap-4">
      {links.notebook && (
        <a
          data-testid="notebook-link"
          href={links.notebook}
          target="_blank"
          rel="noreferrer noopener"
          className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg"
        >
          Open the notebook
        </a>
      )}
      {links.dashboard && (
        <a
          data-testid="dashboard-link"
          href={links.dashboard}
          target="_blank"
          rel="noreferrer noopener"
          className="rounded-md border border-line px-4 py-2 font-medium"
        >
          Dask dashboard
        </a>
      )}
      {links.schedulerAddress && (
        <span className="text-sm text-muted">
          Scheduler: <code className="font-mono">{links.schedulerAddress}</code>
        </span>
      )}
    </div>
  );
}

function ScaleControl({ envId, maxWorkers, desired }: { envId: string; maxWorkers: number; desired: number }) {
  const [value, setValue] = useState(String(desired));
  const { status: message, pending, run } = useActionStatus();

  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => scaleAction(envId, value), (data) => `Scaling to ${data.workers} worker(s)…`);
      }}
    >
      <label className="block">
        <span className="block text-sm font-medium">Workers (0–{maxWorkers})</span>
        <input
          data-testid="scale-input"
          inputMode="numeric"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          className="mt-1 w-24 rounded-md border border-line bg-bg px-3 py-2"
          aria-describedby="scale-message"
        />
      </label>
      <button
        data-testid="scale-submit"
        type="submit"
        disabled={pending}
        className="rounded-md border border-line px-4 py-2 font-medium disabled:opacity-60"
      >
        {pending ? "Scaling…" : "Scale workers"}
      </button>
      <span id="scale-message" data-testid="scale-message" role={message && !message.ok ? "alert" : "status"} className={message?.ok ? "text-muted" : "text-bad"}>
        {message?.text}
      </span>
    </form>
  );
}

function Teardown({ envId, failed }: { envId: string; failed: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  if (!confirming) {
    return (
      <button
        data-testid="teardown-button"
        type="button"
        onClick={() => setConfirming(true)}
        className="rounded-md border border-bad px-4 py-2 font-medium text-bad"
      >
        {failed ? "Delete and start over" : "Tear down environment"}
      </button>
    );
  }
  return (
    <div role="alertdialog" aria-labelledby="teardown-q" className="rounded-md border border-bad p-3">
      <p id="teardown-q" className="font-medium">
        Delete the scheduler, every worker and the notebook? Unsaved notebook work is lost.
      </p>
      <div className="mt-2 flex gap-2">
        <button
          data-testid="teardown-confirm"
          type="button"
          disabled={pending}
          onClick={() =>
            startTransition(async () => {
              const result = await teardownAction(envId);
              if (result.ok) setConfirming(false);
              else setError(result.error);
            })
          }
          className="rounded-md bg-bad px-4 py-2 font-medium text-bg disabled:opacity-60"
        >
          {pending ? "Deleting…" : "Yes, tear it down"}
        </button>
        <button type="button" onClick={() => setConfirming(false)} className="rounded-md border border-line px-4 py-2">
          Cancel
        </button>
      </div>
      {error && <p role="alert" className="mt-2 text-bad">{error}</p>}
    </div>
  );
}

function DeployAgain() {
  const router = useRouter();
  return (
    <p>
      This environment is deleted.{" "}
      <button type="button" onClick={() => router.refresh()} className="text-accent underline">
        Deploy a new one
      </button>
    </p>
  );
}
