"use client";

import Link from "next/link";
import { useMemo, useState, useTransition } from "react";
import { scaleToZeroAction, teardownOneAction } from "@/app/(facilitator)/actions";
import { catalogue } from "@/lib/diagnosis/catalogue";
import { PINS_ADVICE, progressWords } from "@/lib/labs/progress-line";
import type { UsageUnit } from "@/lib/providers/contract";
import { isDeletable, isFailed, isLive, isScalable, teardownLabel } from "@/lib/status";
import type { RosterRow } from "@/lib/stream/protocol";
import { formatUsage, usageLabel } from "@/lib/usage-words";

type SortKey = "name" | "email" | "currentLab" | "checksPassed" | "envStatus" | "workersRunning" | "usage" | "lastActivity";
type Filter = "all" | "failed" | "idle" | "running" | "help";

const PAGE = 25;
const IDLE_MS = 20 * 60_000;

export function matchesFilter(row: RosterRow, filter: Filter, now: number): boolean {
  switch (filter) {
    case "failed":
      return isFailed(row.envStatus);
    case "idle":
      return now - Date.parse(row.lastActivity) > IDLE_MS;
    case "running":
      return isLive(row.envStatus);
    case "help":
      return row.help !== null;
    default:
      return true;
  }
}

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function RosterTable({ rows, unit, labTitles }: { rows: RosterRow[]; unit: UsageUnit; labTitles: Record<string, string> }) {
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<Filter>("all");
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "name", desc: false });
  const [page, setPage] = useState(0);
  const [now] = useState(() => Date.now());

  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    const filtered = rows.filter(
      (r) => matchesFilter(r, filter, now) && (!q || r.name.toLowerCase().includes(q) || r.email.toLowerCase().includes(q)),
    );
    const dir = sort.desc ? -1 : 1;
    return filtered.sort((a, b) => {
      const x = a[sort.key] ?? "";
      const y = b[sort.key] ?? "";
      return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
    });
  }, [rows, query, filter, sort, now]);

  const pages = Math.max(1, Math.ceil(visible.length / PAGE));
  const current = Math.min(page, pages - 1);
  const shown = visible.slice(current * PAGE, current * PAGE + PAGE);

  const header = (key: SortKey, label: string) => (
    <th scope="col" className="px-2 py-2" aria-sort={sort.key === key ? (sort.desc ? "descending" : "ascending") : "none"}>
      <button type="button" className="font-semibold hover:underline" onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : false })}>
        {label}
        {sort.key === key ? (sort.desc ? " ↓" : " ↑") : ""}
      </button>
    </th>
  );

  return (
    <section aria-labelledby="roster-heading">
      <div className="mb-3 flex flex-wrap items-end gap-3">
        <h2 id="roster-heading" className="mr-auto text-lg font-semibold">
          Roster <span className="text-sm font-normal text-muted">· {visible.length} of {rows.length}</span>
        </h2>
        <label className="text-sm">
          <span className="mr-2">Search</span>
          <input
            data-testid="roster-search"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setPage(0);
            }}
            placeholder="name or email"
            className="rounded border border-line bg-bg px-2 py-1"
          />
        </label>
        <label className="text-sm">
          <span className="mr-2">Show</span>
          <select
            data-testid="roster-filter"
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value as Filter);
              setPage(0);
            }}
            className="rounded border border-line bg-bg px-2 py-1"
          >
            <option value="all">everyone</option>
            <option value="failed">failed</option>
            <option value="idle">idle for 20 minutes</option>
            <option value="running">still running</option>
            <option value="help">asking for help</option>
          </select>
        </label>
      </div>
      <div className="overflow-x-auto rounded-lg border border-line">
        <table className="w-full text-left text-sm">
          <thead className="bg-code">
            <tr>
              {header("name", "Name")}
              {header("email", "Email")}
              {header("currentLab", "Current lab")}
              {header("checksPassed", "Checks")}
              {header("envStatus", "Environment")}
              {header("workersRunning", "Workers")}
              <th scope="col" className="px-2 py-2">Cluster progress</th>
              <th scope="col" className="px-2 py-2">Last error</th>
              {header("usage", usageLabel(unit, "column"))}
              {header("lastActivity", "Last activity")}
              <th scope="col" className="px-2 py-2">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.attendeeId} data-testid="roster-row" data-env-status={r.envStatus} className="border-t border-line align-top">
                <td className="px-2 py-2">
                  {r.help && <span title="asking for help" aria-label="asking for help">🙋 </span>}
                  {r.envId ? (
                    <Link href={`/facilitator/environments/${r.envId}`} className="text-accent underline">{r.name}</Link>
                  ) : (
                    r.name
                  )}
                </td>
                <td className="px-2 py-2">{r.email}</td>
                <td className="px-2 py-2">{r.currentLab ? labTitles[r.currentLab] ?? r.currentLab : "—"}</td>
                <td className="px-2 py-2" data-testid="roster-checks">{r.checksPassed}</td>
                <td className="px-2 py-2 font-mono" data-testid="roster-status">{r.envStatus}</td>
                <td className="px-2 py-2">{r.workersRunning}</td>
                <td className="px-2 py-2" data-testid="roster-progress">
                  <ClusterProgressCell row={r} />
                </td>
                <td className="max-w-xs px-2 py-2 text-bad">
                  {r.diagnosis && <strong data-testid="roster-cause" data-code={r.diagnosis.code}>{catalogue[r.diagnosis.code].title}. </strong>}
                  {r.lastError ?? ""}
                </td>
                <td className="px-2 py-2">{formatUsage(unit, r.usage)}</td>
                <td className="px-2 py-2">{ago(r.lastActivity, now)}</td>
                <td className="px-2 py-2">{r.envId && isLive(r.envStatus) && <RowActions envId={r.envId} status={r.envStatus} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav aria-label="Roster pages" className="mt-3 flex items-center gap-3 text-sm">
        <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)} className="rounded border border-line px-2 py-1 disabled:opacity-50">
          Previous
        </button>
        <span>
          Page {current + 1} of {pages}
        </span>
        <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)} className="rounded border border-line px-2 py-1 disabled:opacity-50">
          Next
        </button>
      </nav>
    </section>
  );
}

/** What the attendee's scheduler last logged (tasks done, memory held, workers), and a warning for an image of other pins. */
function ClusterProgressCell({ row }: { row: RosterRow }) {
  return (
    <>
      {row.progress ? progressWords(row.progress) : <span className="text-muted">—</span>}
      {row.otherPins && (
        <p role="note" data-testid="roster-pins-warning" className="mt-1 text-warn">
          ⚠ Image built from other pins ({row.otherPins}). {PINS_ADVICE}
        </p>
      )}
    </>
  );
}

function RowActions({ envId, status }: { envId: string; status: string }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const run = (fn: () => Promise<{ ok: true } | { ok: false; error: string }>) =>
    startTransition(async () => {
      const r = await fn();
      setMessage(r.ok ? null : r.error);
    });
  return (
    <div className="flex flex-wrap gap-1">
      {isScalable(status) && (
        <button type="button" disabled={pending} onClick={() => run(() => scaleToZeroAction({ envId }))} className="rounded border border-line px-2 py-0.5">
          Scale to 0
        </button>
      )}
      <button type="button" disabled={pending || !isDeletable(status)} onClick={() => run(() => teardownOneAction({ envId }))} className="rounded border border-bad px-2 py-0.5 text-bad">
        {teardownLabel(status, "roster")}
      </button>
      {message && <span role="alert" className="text-bad">{message}</span>}
    </div>
  );
}
