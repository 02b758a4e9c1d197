"use client";

import { useCallback, useEffect, useState, useTransition } from "react";
import { preflightAction } from "@/app/(facilitator)/actions";
import type { HeadroomStatus, PreflightLine, PreflightResult, QuotaRequest } from "@/lib/providers/contract";
import { FixActionButton } from "./fix-action";

const statusWords: Record<HeadroomStatus, { text: string; className: string }> = {
  ok: { text: "OK", className: "text-ok" },
  warn: { text: "Check", className: "text-warn" },
  fail: { text: "Fix first", className: "text-bad" },
};

const requestWords = (request: QuotaRequest) =>
  `Increase to ${request.desired} requested${request.createdAt ? ` on ${new Date(request.createdAt).toLocaleDateString()}` : ""}: ${request.status.replaceAll("_", " ").toLowerCase()}.`;

const numbers = (line: PreflightLine) =>
  line.kind === "quota"
    ? { quota: line.quota === null ? "could not read" : String(line.quota), inUse: line.inUse === null ? "could not read" : String(line.inUse), needed: String(line.needed) }
    : { quota: "—", inUse: "—", needed: "—" };

/**
 * What would break the room in this account: each quota against what is in use and what the
 * room needs, and each thing the room depends on (roles, the access stack, the image, ERA5),
 * with one sentence on how to fix whatever is not green.
 */
export function PreflightCard({ attendees }: { attendees: number }) {
  const [planned, setPlanned] = useState(String(attendees));
  const [result, setResult] = useState<PreflightResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  const run = useCallback(
    (count: string) =>
      startTransition(async () => {
        const r = await preflightAction({ attendees: count });
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
      <h2 id="preflight-heading" className="text-lg font-semibold">Preflight: what the room needs from the AWS account</h2>
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
          <PreflightTable
            lines={result.lines.filter((l) => l.stage === "before")}
            caption="Before the event: what takes days (quota increases, roles, billing)"
            testId="preflight-before"
            id="before-the-event"
            onFixed={() => run(planned)}
          />
          <PreflightTable lines={result.lines.filter((l) => l.stage === "day")} caption="On the day" testId="preflight-day" onFixed={() => run(planned)} />
          <p id="preflight-note" className="mt-2 text-xs text-muted">
            {result.mode} mode in {result.region}; one environment is {result.environmentVcpu.total} vCPU, its workers on{" "}
            {result.workerCapacity === "FARGATE_SPOT" ? "Fargate Spot" : "Fargate On-Demand"}. Checked{" "}
            {new Date(result.checkedAt).toLocaleTimeString()}.
          </p>
        </>
      )}
    </section>
  );
}

/** One part of the preflight: each line with its numbers, how many days ahead it needs, its fix and its button. */
function PreflightTable({ lines, caption, testId, id, onFixed }: { lines: PreflightLine[]; caption: string; testId: string; id?: string; onFixed: () => void }) {
  if (lines.length === 0) return null;
  const ahead = lines.some((l) => l.daysAhead !== undefined);
  return (
    <table id={id} className="mt-3 w-full scroll-mt-4 text-left text-sm" aria-describedby="preflight-note" data-testid={testId}>
      <caption className="mb-1 text-left font-medium">{caption}</caption>
      <thead className="text-muted">
        <tr>
          <th scope="col" className="py-1 pr-2 font-normal">Check</th>
          <th scope="col" className="py-1 pr-2 text-right font-normal">Quota</th>
          <th scope="col" className="py-1 pr-2 text-right font-normal">In use</th>
          <th scope="col" className="py-1 pr-2 text-right font-normal">Room needs</th>
          {ahead && <th scope="col" className="py-1 pr-2 text-right font-normal">Days ahead</th>}
          <th scope="col" className="py-1 font-normal">Status</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => {
          const n = numbers(line);
          return (
            <tr key={line.key} data-testid="preflight-row" data-key={line.key} data-status={line.status} className="border-t border-line align-top">
              <th scope="row" className="py-2 pr-2 font-medium">
                {line.label}
                <p className="mt-1 font-normal text-muted">{line.sentence}</p>
                {line.kind === "quota" && line.request && (
                  <p className="mt-1 font-normal" data-testid="preflight-request" data-request-status={line.request.status}>
                    {requestWords(line.request)}
                  </p>
                )}
                {line.fix && (
                  <p className="mt-1 font-normal" data-testid="preflight-fix">
                    <span className="font-medium">Fix: </span>
                    {line.fix}
                  </p>
                )}
                {line.action && line.status !== "ok" && <FixActionButton action={line.action} onDone={onFixed} testId="preflight-fix-action" />}
              </th>
              <td className="py-2 pr-2 text-right tabular-nums">
                {n.quota}
                {line.kind === "quota" && (line.quotaSource === "aws-default" || line.quotaSource === "assumed") ? <span className="block text-xs text-muted">default</span> : null}
              </td>
              <td className="py-2 pr-2 text-right tabular-nums">{n.inUse}</td>
              <td className="py-2 pr-2 text-right tabular-nums">{n.needed}</td>
              {ahead && (
                <td className="py-2 pr-2 text-right tabular-nums" data-testid="preflight-days-ahead">
                  {line.daysAhead === undefined ? "—" : `${line.daysAhead} ${line.daysAhead === 1 ? "day" : "days"}`}
                </td>
              )}
              <td className={`py-2 font-medium ${statusWords[line.status].className}`}>{statusWords[line.status].text}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
