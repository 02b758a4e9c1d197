"use client";

import { useCallback, useEffect, useState, useTransition } from "react";
import {
  deleteEventStackAction,
  deployEventStackAction,
  eventStackStatusAction,
  preflightAction,
} from "@/app/facilitator/aws-actions";
import type { EventStackView } from "@/lib/providers/aws/event-stack";
import type { HeadroomStatus, PreflightResult } from "@/lib/providers/aws/preflight";

const statusWords: Record<HeadroomStatus, { text: string; className: string }> = {
  ok: { text: "OK", className: "text-ok" },
  warn: { text: "Check", className: "text-warn" },
  fail: { text: "Not enough", className: "text-bad" },
};

function stackTone(status: EventStackView["status"]): string {
  if (status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE") return "text-ok";
  if (status.endsWith("FAILED") || status.startsWith("ROLLBACK")) return "text-bad";
  if (status.endsWith("IN_PROGRESS")) return "text-warn";
  return "text-muted";
}

/** A fresh id per deploy request: a double click sends the same one, so AWS makes one stack. */
const newRequestId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** Preflight (the account's headroom) and the event stack, for the AWS provider. */
export function AwsPanel({ attendees }: { attendees: number }) {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Preflight attendees={attendees} />
      <EventStackCard />
    </div>
  );
}

function Preflight({ attendees }: { attendees: number }) {
  const [planned, setPlanned] = useState(String(attendees));
  const [result, setResult] = useState<PreflightResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  const run = useCallback(
    (count: string) =>
      startTransition(async () => {
        const r = await preflightAction(Number(count));
        if (r.ok) {
          setResult(r.data);
          setError(null);
        } else setError(r.error);
      }),
    [],
  );
  useEffect(() => run(String(attendees)), [run, attendees]);

  return (
    <section aria-labelledby="preflight-heading" className="rounded-lg border border-line bg-card p-4" data-testid="preflight">
      <h2 id="preflight-heading" className="text-lg font-semibold">Preflight: room in the AWS account</h2>
      <form
        className="mt-3 flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          run(planned);
        }}
      >
        <label className="text-sm">
          <span className="block text-muted">Attendees to plan for</span>
          <input
            type="number"
            min={0}
            max={10000}
            value={planned}
            onChange={(e) => setPlanned(e.target.value)}
            data-testid="preflight-attendees"
            className="mt-1 w-28 rounded-md border border-line bg-bg px-2 py-1"
          />
        </label>
        <button type="submit" disabled={pending} data-testid="preflight-run" className="rounded-md border border-line px-3 py-1.5 disabled:opacity-50">
          {pending ? "Checking…" : "Re-run checks"}
        </button>
      </form>
      {error && <p role="alert" className="mt-2 text-bad">{error}</p>}
      {!result && !error && <p className="mt-3 text-muted" role="status">Reading quotas and current use…</p>}
      {result && (
        <>
          <table className="mt-3 w-full text-left text-sm" aria-describedby="preflight-note">
            <thead className="text-muted">
              <tr>
                <th scope="col" className="py-1 pr-2 font-normal">Check</th>
                <th scope="col" className="py-1 pr-2 text-right font-normal">Quota</th>
                <th scope="col" className="py-1 pr-2 text-right font-normal">In use</th>
                <th scope="col" className="py-1 pr-2 text-right font-normal">Room needs</th>
                <th scope="col" className="py-1 font-normal">Status</th>
              </tr>
            </thead>
            <tbody>
              {result.lines.map((line) => (
                <tr key={line.key} data-testid="preflight-row" data-key={line.key} data-status={line.status} className="border-t border-line align-top">
                  <th scope="row" className="py-2 pr-2 font-medium">
                    {line.label}
                    <p className="mt-1 font-normal text-muted">{line.sentence}</p>
                  </th>
                  <td className="py-2 pr-2 text-right tabular-nums">
                    {line.quota === null ? "could not read" : line.quota}
                    {line.quotaSource === "aws-default" || line.quotaSource === "assumed" ? <span className="block text-xs text-muted">default</span> : null}
                  </td>
                  <td className="py-2 pr-2 text-right tabular-nums">{line.inUse === null ? "could not read" : line.inUse}</td>
                  <td className="py-2 pr-2 text-right tabular-nums">{line.needed}</td>
                  <td className={`py-2 font-medium ${statusWords[line.status].className}`}>{statusWords[line.status].text}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id="preflight-note" className="mt-2 text-xs text-muted">
            {result.mode} mode in {result.region}; one environment is {result.environmentVcpu.total} vCPU. Checked{" "}
            {new Date(result.checkedAt).toLocaleTimeString()}.
          </p>
        </>
      )}
    </section>
  );
}

function EventStackCard() {
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
  const changing = view?.status.endsWith("IN_PROGRESS") ?? false;
  useEffect(() => {
    if (!changing) return;
    const timer = setInterval(refresh, 5_000);
    return () => clearInterval(timer);
  }, [changing, refresh]);

  const act = (which: "deploy" | "delete") =>
    startTransition(async () => {
      const r = which === "deploy" ? await deployEventStackAction(requestId) : await deleteEventStackAction();
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
            <span className={`font-medium ${stackTone(view.status)}`} data-testid="event-stack-status" role="status">
              {view.status === "NOT_DEPLOYED" ? "not deployed" : view.status}
            </span>
          </p>
          {view.reason && (
            <p className="mt-2 text-bad" data-testid="event-stack-reason">
              {view.reason}
            </p>
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
              {deployed && !view.status.startsWith("DELETE_IN") && (
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
