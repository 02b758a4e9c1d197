"use client";

import { useState, useTransition } from "react";
import {
  announceAction,
  helpBundleAction,
  helpStatusAction,
  saveEventAction,
  teardownAllAction,
} from "@/app/facilitator/actions";
import type { RosterRow } from "@/lib/room/roster";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";
import { CostChart } from "./cost-chart";
import { RosterTable } from "./roster-table";
import { useRoomStream, type CostSample, type HelpItem } from "./use-room-stream";

export interface RoomDashboardProps {
  initial: { rows: RosterRow[]; help: HelpItem[]; cost: CostSample[] };
  local: boolean;
  labTitles: Record<string, string>;
  event: { name: string; startsAt: string | null; endsAt: string | null };
}

const LIVE = (s: string) => s !== "none" && s !== "DELETE_COMPLETE";

export function RoomDashboard({ initial, local, labTitles, event }: RoomDashboardProps) {
  const room = useRoomStream(initial);
  const rows = Object.values(room.rows);
  const live = rows.filter((r) => LIVE(r.envStatus));
  const workers = live.reduce((n, r) => n + r.workersRunning, 0);
  const total = rows.reduce((n, r) => n + (local ? r.cpuSeconds : r.costUsd), 0);

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span className={room.connection === "live" ? "text-ok" : "text-warn"} role="status" data-testid="room-connection">
          {room.connection === "live" ? "● live" : room.connection === "connecting" ? "connecting…" : "reconnecting… (updates paused)"}
        </span>
      </div>
      <section aria-label="Room totals" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Figure label="Attendees" value={String(rows.length)} />
        <Figure label="Environments running" value={String(live.length)} testId="room-live-count" />
        <Figure label="Workers running" value={String(workers)} />
        <Figure label={local ? "CPU seconds used" : "Accrued cost (estimate)"} value={local ? total.toFixed(1) : `$${total.toFixed(2)}`} />
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <HelpQueue queue={room.help} />
        <AnnouncementForm />
      </div>

      <RosterTable rows={rows} local={local} labTitles={labTitles} />

      <div className="grid gap-6 lg:grid-cols-3">
        <CostChart samples={room.cost} unit={local ? "CPU s" : "USD"} />
        <TeardownAll rows={rows} />
        <EventForm event={event} />
      </div>
    </div>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-lg border border-line bg-card p-4">
      <p className="text-sm text-muted">{label}</p>
      <p className="text-2xl font-semibold" data-testid={testId}>{value}</p>
    </div>
  );
}

/** Tear down every live environment, then follow each to DELETE_COMPLETE (or its failure) on one bar. */
function TeardownAll({ rows }: { rows: RosterRow[] }) {
  const [targets, setTargets] = useState<string[] | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const live = rows.filter((r) => r.envId && LIVE(r.envStatus));
  const byEnv = new Map(rows.filter((r) => r.envId).map((r) => [r.envId!, r]));
  const done = targets?.filter((id) => byEnv.get(id)?.envStatus === "DELETE_COMPLETE" || byEnv.get(id)?.envDeletedAt) ?? [];
  const failed = targets?.filter((id) => byEnv.get(id)?.envStatus === "DELETE_FAILED") ?? [];

  return (
    <section aria-labelledby="teardown-all-heading" className="rounded-lg border border-line bg-card p-4">
      <h2 id="teardown-all-heading" className="text-lg font-semibold">End of the room</h2>
      {!confirming ? (
        <button
          type="button"
          data-testid="teardown-all"
          disabled={live.length === 0 || pending}
          onClick={() => setConfirming(true)}
          className="mt-3 rounded-md border border-bad px-4 py-2 font-medium text-bad disabled:opacity-50"
        >
          Tear down all ({live.length})
        </button>
      ) : (
        <div role="alertdialog" aria-labelledby="teardown-all-q" className="mt-3 rounded-md border border-bad p-3">
          <p id="teardown-all-q" className="font-medium">
            Delete {live.length} environment{live.length === 1 ? "" : "s"}? Every attendee loses their cluster and notebook.
          </p>
          <div className="mt-2 flex gap-2">
            <button
              type="button"
              data-testid="teardown-all-confirm"
              onClick={() =>
                startTransition(async () => {
                  const result = await teardownAllAction();
                  setConfirming(false);
                  if (result.ok) setTargets(result.data.envIds);
                  else setError(result.error);
                })
              }
              className="rounded-md bg-bad px-4 py-2 font-medium text-bg"
            >
              Yes, delete {live.length}
            </button>
            <button type="button" onClick={() => setConfirming(false)} className="rounded-md border border-line px-4 py-2">
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && <p role="alert" className="mt-2 text-bad">{error}</p>}
      {targets && targets.length > 0 && (
        <div className="mt-4">
          <div
            role="progressbar"
            data-testid="teardown-all-progress"
            aria-label="Environments deleted"
            aria-valuemin={0}
            aria-valuemax={targets.length}
            aria-valuenow={done.length}
            className="h-2 rounded bg-line"
          >
            <div className="h-2 rounded bg-ok transition-all" style={{ width: `${(done.length / targets.length) * 100}%` }} />
          </div>
          <p className="mt-1 text-sm" data-testid="teardown-all-summary">
            {done.length} of {targets.length} deleted{failed.length ? `, ${failed.length} failed (retry them from the roster)` : ""}
          </p>
        </div>
      )}
    </section>
  );
}

function HelpQueue({ queue }: { queue: HelpItem[] }) {
  const [bundle, setBundle] = useState<{ id: number; text: string; lines: string[] } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <section aria-labelledby="help-heading" className="rounded-lg border border-line bg-card p-4" data-testid="help-queue">
      <h2 id="help-heading" className="text-lg font-semibold">Help queue ({queue.length})</h2>
      {queue.length === 0 && <p className="mt-2 text-muted">Nobody is waiting.</p>}
      <ul className="mt-2 space-y-3">
        {queue.map((h) => (
          <li key={h.id} data-testid="help-item" className="rounded border border-line p-3">
            <p>
              <strong>{h.name}</strong> <span className="text-muted">{h.email}</span> ·{" "}
              <span className="text-sm">{new Date(h.createdAt).toLocaleTimeString()}</span>
              {h.status === "coming" && <span className="ml-2 text-ok">on the way</span>}
            </p>
            {h.message && <p className="mt-1 whitespace-pre-wrap">“{h.message}”</p>}
            <div className="mt-2 flex flex-wrap gap-2 text-sm">
              <button
                type="button"
                data-testid="help-open-bundle"
                disabled={pending}
                onClick={() =>
                  startTransition(async () => {
                    const r = await helpBundleAction(h.id);
                    if (!r.ok) return;
                    const b = r.data.bundle;
                    const summary = [
                      `Stack ${b.stackName ?? "(none)"}: ${b.status ?? "no environment"}${b.reason ? ` — ${b.reason}` : ""}`,
                      ...b.stoppedTasks.map((t) => `${t.id} (${t.role}) stopped: ${t.stoppedReason ?? "?"}`),
                      ...b.stackEvents.slice(-10).map((e) => `${String(e.resource)} ${String(e.status)}${e.reason ? ` — ${String(e.reason)}` : ""}`),
                    ].join("\n");
                    setBundle({ id: h.id, text: summary, lines: b.schedulerLog.map((l) => l.text) });
                  })
                }
                className="rounded border border-line px-2 py-0.5"
              >
                Open diagnostics
              </button>
              {h.status === "open" && (
                <button type="button" onClick={() => startTransition(async () => void (await helpStatusAction(h.id, "coming")))} className="rounded border border-line px-2 py-0.5">
                  I&apos;m coming
                </button>
              )}
              <button type="button" data-testid="help-resolve" onClick={() => startTransition(async () => void (await helpStatusAction(h.id, "resolved")))} className="rounded border border-ok px-2 py-0.5 text-ok">
                Resolved
              </button>
            </div>
            {bundle?.id === h.id && (
              <div data-testid="help-bundle" className="mt-3 space-y-2">
                <pre className="whitespace-pre-wrap rounded bg-code p-2 text-xs">{bundle.text}</pre>
                <p className="text-sm font-medium">Last {bundle.lines.length} scheduler log lines</p>
                <pre className="max-h-64 overflow-y-auto whitespace-pre-wrap rounded bg-code p-2 text-xs" data-testid="help-bundle-log">
                  {bundle.lines.join("\n")}
                </pre>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function AnnouncementForm() {
  const [message, setMessage] = useState("");
  const { status, pending, run } = useActionStatus();
  return (
    <form
      className="rounded-lg border border-line bg-card p-4"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => announceAction(message), () => "Sent to every attendee.", () => setMessage(""));
      }}
    >
      <label className="block">
        <span className="text-lg font-semibold">Announce to the room</span>
        <textarea
          data-testid="announce-input"
          value={message}
          maxLength={280}
          rows={2}
          onChange={(e) => setMessage(e.target.value)}
          className="mt-2 block w-full rounded-md border border-line bg-bg px-3 py-2"
        />
      </label>
      <div className="mt-2 flex items-center gap-3">
        <button type="submit" data-testid="announce-submit" disabled={pending} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg">
          Broadcast
        </button>
        <span className="text-sm text-muted">{message.length}/280</span>
        <ActionStatus status={status} />
      </div>
    </form>
  );
}

function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function EventForm({ event }: { event: RoomDashboardProps["event"] }) {
  const { status, pending, run } = useActionStatus();
  return (
    <form
      className="rounded-lg border border-line bg-card p-4"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        // datetime-local has no zone: read it in the facilitator's own time zone.
        const iso = (v: FormDataEntryValue | null) => (v ? new Date(String(v)).toISOString() : "");
        run(
          () => saveEventAction({ name: String(f.get("name") ?? ""), startsAt: iso(f.get("startsAt")), endsAt: iso(f.get("endsAt")) }),
          () => "Saved.",
        );
      }}
    >
      <h2 className="text-lg font-semibold">The event</h2>
      <p className="text-sm text-muted">At the end time the portal deletes every environment still running, and retries until each is gone.</p>
      <div className="mt-2 grid gap-3">
        <label className="block text-sm">
          <span>Name</span>
          <input name="name" defaultValue={event.name} maxLength={120} className="mt-1 w-full rounded border border-line bg-bg px-2 py-1" />
        </label>
        <label className="block text-sm">
          <span>Starts</span>
          <input name="startsAt" type="datetime-local" defaultValue={toLocalInput(event.startsAt)} className="mt-1 w-full rounded border border-line bg-bg px-2 py-1" />
        </label>
        <label className="block text-sm">
          <span>Ends</span>
          <input name="endsAt" type="datetime-local" defaultValue={toLocalInput(event.endsAt)} className="mt-1 w-full rounded border border-line bg-bg px-2 py-1" />
        </label>
      </div>
      <div className="mt-2 flex items-center gap-3">
        <button type="submit" disabled={pending} className="rounded-md border border-line px-4 py-2 font-medium">Save</button>
        <ActionStatus status={status} />
      </div>
    </form>
  );
}
