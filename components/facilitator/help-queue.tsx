"use client";

import { useState, useTransition } from "react";
import { helpBundleAction, helpStatusAction } from "@/app/(facilitator)/actions";
import { catalogue } from "@/lib/diagnosis/catalogue";
import type { HelpItem } from "@/lib/stream/protocol";

interface Diagnostics {
  id: number;
  summary: string;
  schedulerLines: string[];
}

/** Who is waiting for help, with the diagnostics gathered when they asked. */
export function HelpQueue({ queue }: { queue: HelpItem[] }) {
  const [open, setOpen] = useState<Diagnostics | null>(null);
  const [error, setError] = useState<{ id: number; text: string } | null>(null);
  const [pending, startTransition] = useTransition();

  const showDiagnostics = (id: number) =>
    startTransition(async () => {
      const r = await helpBundleAction({ id });
      if (!r.ok) return setError({ id, text: r.error });
      const b = r.data.bundle;
      const summary = [
        ...(b.diagnosis ? [`Cause: ${b.diagnosis.code} — ${b.diagnosis.cause} (${b.diagnosis.source}: ${b.diagnosis.raw})`] : []),
        `Stack ${b.stackName ?? "(none)"}: ${b.status ?? "no environment"}${b.reason ? ` — ${b.reason}` : ""}`,
        ...b.stoppedTasks.map((t) => `${t.id} (${t.role}) stopped: ${t.stoppedReason ?? "?"}`),
        ...b.stackEvents.slice(-10).map((e) => `${String(e.resource)} ${String(e.status)}${e.reason ? ` — ${String(e.reason)}` : ""}`),
      ].join("\n");
      setError(null);
      setOpen({ id, summary, schedulerLines: b.schedulerLog.map((l) => l.text) });
    });
  const setStatus = (id: number, status: "coming" | "resolved") =>
    startTransition(async () => {
      const r = await helpStatusAction({ id, status });
      setError(r.ok ? null : { id, text: r.error });
    });

  return (
    <section id="help-queue" aria-labelledby="help-heading" className="rounded-lg border border-line bg-card p-4" data-testid="help-queue">
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
            {h.diagnosis && (
              <p className="mt-1 text-sm text-bad" data-testid="help-cause" data-code={h.diagnosis}>
                Cause: {catalogue[h.diagnosis].title} <code>{h.diagnosis}</code>
              </p>
            )}
            {h.message && <p className="mt-1 whitespace-pre-wrap">“{h.message}”</p>}
            <div className="mt-2 flex flex-wrap gap-2 text-sm">
              <button type="button" data-testid="help-open-bundle" disabled={pending} onClick={() => showDiagnostics(h.id)} className="rounded border border-line px-2 py-0.5">
                Open diagnostics
              </button>
              {h.status === "open" && (
                <button type="button" onClick={() => setStatus(h.id, "coming")} className="rounded border border-line px-2 py-0.5">
                  I&apos;m coming
                </button>
              )}
              <button type="button" data-testid="help-resolve" onClick={() => setStatus(h.id, "resolved")} className="rounded border border-ok px-2 py-0.5 text-ok">
                Resolved
              </button>
            </div>
            {error?.id === h.id && <p role="alert" className="mt-2 text-bad">{error.text}</p>}
            {open?.id === h.id && (
              <div data-testid="help-bundle" className="mt-3 space-y-2">
                <pre className="whitespace-pre-wrap rounded bg-code p-2 text-xs">{open.summary}</pre>
                <p className="text-sm font-medium">Last {open.schedulerLines.length} scheduler log lines</p>
                <pre className="max-h-64 overflow-y-auto whitespace-pre-wrap rounded bg-code p-2 text-xs" data-testid="help-bundle-log">
                  {open.schedulerLines.join("\n")}
                </pre>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
