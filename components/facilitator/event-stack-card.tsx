"use client";

import { useCallback, useEffect, useState, useTransition } from "react";
import { deleteEventStackAction, deployEventStackAction, eventStackStatusAction } from "@/app/(facilitator)/actions";
import type { EventStackView } from "@/lib/providers/contract";
import { isInProgress, stackTone } from "@/lib/status";
import { textTone } from "@/components/ui/tone";
import { FixActionButton } from "./fix-action";

/** A fresh id per deploy request: a double click sends the same one, so AWS makes one stack. */
const newRequestId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** The stack the room shares (event mode): its status and outputs, deploy and delete. */
export function EventStackCard() {
  const [view, setView] = useState<EventStackView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<"deploy" | "delete" | null>(null);
  const [requestId, setRequestId] = useState(newRequestId);
  const [pending, startTransition] = useTransition();

  const refresh = useCallback(
    () =>
      startTransition(async () => {
        const r = await eventStackStatusAction();
        if (r.ok) setView(r.data);
        else setError(r.error);
      }),
    [],
  );
  useEffect(() => refresh(), [refresh]);
  // While CloudFormation works, follow it; settled stacks are read only when asked.
  const changing = view ? isInProgress(view.status) : false;
  useEffect(() => {
    if (!changing) return;
    const timer = setInterval(refresh, 5_000);
    return () => clearInterval(timer);
  }, [changing, refresh]);

  const act = (which: "deploy" | "delete") =>
    startTransition(async () => {
      const r = which === "deploy" ? await deployEventStackAction({ requestId }) : await deleteEventStackAction();
      setConfirming(null);
      if (r.ok) {
        setView(r.data);
        setError(null);
        setRequestId(newRequestId());
      } else setError(r.error);
    });

  const deployed = view && view.status !== "NOT_DEPLOYED";
  return (
    <section aria-labelledby="event-stack-heading" className="rounded-lg border border-line bg-card p-4" data-testid="event-stack">
      <h2 id="event-stack-heading" className="text-lg font-semibold">Event stack</h2>
      {!view && !error && <p className="mt-3 text-muted" role="status">Reading the event stack…</p>}
      {view?.mode === "solo" && (
        <p className="mt-3 text-muted">Solo mode: each attendee stack brings its own network, so there is no event stack to deploy.</p>
      )}
      {view?.mode === "event" && (
        <>
          <p className="mt-3">
            <code>{view.stackName}</code>{" "}
            <span className={`font-medium ${textTone[stackTone(view.status)]}`} data-testid="event-stack-status" role="status">
              {view.status === "NOT_DEPLOYED" ? "not deployed" : view.status}
            </span>
          </p>
          {view.reason && (
            <p className="mt-2 text-bad" data-testid="event-stack-reason">
              {view.reason}
            </p>
          )}
          {view.refused && (
            <div role="alert" className="mt-2 rounded-md border border-bad p-3" data-testid="event-stack-refused">
              <p className="text-bad">{view.refused.sentence}</p>
              <p className="mt-1">
                <span className="font-medium">Fix: </span>
                {view.refused.fix}
              </p>
              {view.refused.action && (
                <FixActionButton action={view.refused.action} onDone={() => setView({ ...view, refused: undefined })} testId="event-stack-fix-action" />
              )}
            </div>
          )}
          {view.outputs.ClusterName && (
            <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 text-sm">
              <dt className="text-muted">Cluster</dt>
              <dd><code>{view.outputs.ClusterName}</code></dd>
              {view.outputs.VpcId && (
                <>
                  <dt className="text-muted">VPC</dt>
                  <dd><code>{view.outputs.VpcId}</code></dd>
                </>
              )}
              {view.outputs.LogGroup && (
                <>
                  <dt className="text-muted">Log group</dt>
                  <dd><code>{view.outputs.LogGroup}</code></dd>
                </>
              )}
            </dl>
          )}
          {confirming ? (
            <div role="alertdialog" aria-labelledby="event-stack-q" className={`mt-3 rounded-md border p-3 ${confirming === "delete" ? "border-bad" : "border-line"}`}>
              <p id="event-stack-q" className="font-medium">
                {confirming === "deploy"
                  ? "Create the event's VPC, NAT gateway, ECS cluster, namespace and log group now? The NAT gateway costs money while it exists."
                  : "Delete the event stack? Attendees cannot deploy until it is deployed again."}
              </p>
              <div className="mt-2 flex gap-2">
                <button
                  type="button"
                  data-testid={`event-stack-${confirming}-confirm`}
                  disabled={pending}
                  onClick={() => act(confirming)}
                  className={`rounded-md px-4 py-2 font-medium text-bg ${confirming === "delete" ? "bg-bad" : "bg-accent"}`}
                >
                  {confirming === "deploy" ? "Yes, deploy" : "Yes, delete"}
                </button>
                <button type="button" onClick={() => setConfirming(null)} className="rounded-md border border-line px-4 py-2">
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <div className="mt-3 flex flex-wrap gap-2">
              {!deployed && (
                <button type="button" data-testid="event-stack-deploy" disabled={pending} onClick={() => setConfirming("deploy")} className="rounded-md border border-line px-3 py-1.5 disabled:opacity-50">
                  Deploy event stack
                </button>
              )}
              {deployed && view.status !== "DELETE_IN_PROGRESS" && (
                <button type="button" data-testid="event-stack-delete" disabled={pending} onClick={() => setConfirming("delete")} className="rounded-md border border-bad px-3 py-1.5 text-bad disabled:opacity-50">
                  Delete event stack
                </button>
              )}
              <button type="button" data-testid="event-stack-refresh" disabled={pending} onClick={refresh} className="rounded-md border border-line px-3 py-1.5 disabled:opacity-50">
                {pending ? "Asking AWS…" : "Refresh"}
              </button>
            </div>
          )}
        </>
      )}
      {error && <p role="alert" className="mt-2 text-bad" data-testid="event-stack-error">{error}</p>}
    </section>
  );
}
