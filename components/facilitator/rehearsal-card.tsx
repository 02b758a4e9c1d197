"use client";

import { useState } from "react";
import { startRehearsalAction } from "@/app/(facilitator)/actions";
import { useEventStream } from "@/components/stream/use-event-stream";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";
import type { RehearsalCard as Card, RehearsalView } from "@/lib/rehearsal/phases";
import { rehearsalEventsPath, rehearsalStream } from "@/lib/stream/protocol";

/** Log lines the card shows at most (the newest). */
const shownLines = 400;

const tone: Record<string, string> = { done: "text-ok", running: "text-warn", failed: "text-bad", skipped: "text-muted", pending: "text-muted" };

/**
 * The dress rehearsal the facilitator runs the day before: one button, the phases as they
 * go (each timed), the notebook's log live, and the newest report.
 */
export function RehearsalCard() {
  const [card, setCard] = useState<Card | null>(null);
  const [view, setView] = useState<RehearsalView | null>(null);
  const [lines, setLines] = useState<{ key: string; text: string; rehearsal: string }[]>([]);
  const { status, pending, run } = useActionStatus();

  const connection = useEventStream(rehearsalEventsPath, rehearsalStream, {
    snapshot: (data) => {
      setCard(data);
      if (data.current) setView(data.current);
    },
    rehearsal: (data) => setView(data),
    log: (data) => setLines((prev) => [...prev.filter((l) => l.rehearsal === data.rehearsal), data].slice(-shownLines)),
  });

  const running = view?.status === "running";
  return (
    <section aria-labelledby="rehearsal-heading" className="rounded-lg border border-line bg-card p-4" data-testid="rehearsal">
      <h2 id="rehearsal-heading" className="text-lg font-semibold">Dress rehearsal</h2>
      <p className="mt-1 text-sm text-muted">
        Deploys one environment (not an attendee&apos;s), runs the workshop notebook on one month of ERA5 against it, tears it down and
        writes a report with each phase&apos;s time, the results and the cost.
      </p>
      {!card && <p className="mt-3 text-muted" role="status">{typeof connection === "object" ? connection.refused : "Reading the rehearsal…"}</p>}
      {card?.message && <p className="mt-2 text-warn" data-testid="rehearsal-message">{card.message}</p>}
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <button
          type="button"
          data-testid="rehearsal-start"
          disabled={pending || card?.available === false}
          onClick={() => run(() => startRehearsalAction(), (r) => r.message)}
          className="rounded-md bg-accent px-4 py-2 font-medium text-bg disabled:opacity-50"
        >
          Run the dress rehearsal
        </button>
        <span data-testid="rehearsal-start-status"><ActionStatus status={status} /></span>
      </div>
      {view && (
        <div className="mt-4" data-testid="rehearsal-view" data-status={view.status}>
          <p role="status" className={running ? "text-warn" : view.status === "passed" ? "text-ok" : "text-bad"} data-testid="rehearsal-outcome">
            {running ? `Rehearsing with stack ${view.stackName}…` : view.status === "passed" ? "The rehearsal passed." : `The rehearsal failed at ${view.failure?.phase ?? "?"}: ${view.failure?.reason ?? ""}`}
          </p>
          <ol className="mt-2 flex flex-wrap gap-2 text-xs" aria-label="Rehearsal phases">
            {view.phases.map((p) => (
              <li key={p.name} data-testid="rehearsal-phase" data-phase={p.name} data-status={p.status} className={`rounded border border-line px-2 py-0.5 ${tone[p.status]}`}>
                {p.label} {p.status}
                {p.seconds !== undefined ? ` (${p.seconds.toFixed(0)} s)` : ""}
              </li>
            ))}
          </ol>
          <pre className="mt-2 max-h-72 overflow-auto rounded-md bg-bg p-2 text-xs" aria-label="Notebook log" data-testid="rehearsal-log">
            {lines.filter((l) => l.rehearsal === view.id).map((l) => (
              <div key={l.key} data-testid="rehearsal-log-line">{l.text}</div>
            ))}
          </pre>
        </div>
      )}
      {card?.latestReport && (
        <details className="mt-4" open={!running} data-testid="rehearsal-report" data-status={card.latestReport.status}>
          <summary className="cursor-pointer">Latest report ({card.latestReport.startedAt}, {card.latestReport.status})</summary>
          <pre className="mt-2 max-h-96 overflow-auto whitespace-pre-wrap rounded-md bg-bg p-2 text-xs">{card.latestReport.markdown}</pre>
        </details>
      )}
    </section>
  );
}
