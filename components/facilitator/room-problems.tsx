"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { buildRoomImageAction, createServiceLinkedRoleAction, redeployAction } from "@/app/(facilitator)/actions";
import { catalogue } from "@/lib/diagnosis/catalogue";
import type { DiagnosisAction } from "@/lib/diagnosis/codes";
import { roomProblems } from "@/lib/diagnosis/room";
import type { RosterRow } from "@/lib/stream/protocol";

/** What this portal can do from the card (the AWS provider's cloud tools and room image, in event mode). */
export interface ProblemTools {
  buildImage: boolean;
  cloud: boolean;
  /** What raising worker memory takes here (lib/diagnosis/memory-advice.ts). */
  memoryAdvice: string;
}

/** Causes whose fix ends with new environments: the group offers to tear down and redeploy its members. */
const REDEPLOY_AFTER = new Set<DiagnosisAction>(["redeploy", "build-image", "create-service-linked-role", "request-quota", "raise-memory"]);

type Result = { ok: true; data: unknown } | { ok: false; error: string };

/** Attendees grouped by the cause their environment shows, live, each group with the action its cause calls for. */
export function RoomProblems({ rows, tools }: { rows: RosterRow[]; tools: ProblemTools }) {
  const groups = roomProblems(rows);
  return (
    <section aria-labelledby="problems-heading" data-testid="room-problems" className="rounded-lg border border-line bg-card p-4">
      <h2 id="problems-heading" className="text-lg font-semibold">
        Room problems <span className="text-sm font-normal text-muted">· {groups.reduce((n, g) => n + g.rows.length, 0)} attendee(s)</span>
      </h2>
      {groups.length === 0 && <p className="mt-2 text-muted">No environment shows a failure.</p>}
      <ul className="mt-2 space-y-3">
        {groups.map((g) => (
          <ProblemGroup key={g.code} code={g.code} rows={g.rows} tools={tools} />
        ))}
      </ul>
    </section>
  );
}

function ProblemGroup({ code, rows, tools }: { code: keyof typeof catalogue; rows: RosterRow[]; tools: ProblemTools }) {
  const entry = catalogue[code];
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const run = (work: () => Promise<Result>, done: string) =>
    startTransition(async () => {
      const r = await work();
      setMessage(r.ok ? { ok: true, text: done } : { ok: false, text: r.error });
    });
  const asking = rows.filter((r) => r.help !== null).length;
  const live = rows.filter((r) => r.envId && !r.envDeletedAt);

  return (
    <li data-testid="problem-group" data-code={code} className="rounded border border-line p-3">
      <p>
        <strong>{entry.title}</strong> <code className="text-sm text-muted">{code}</code> ·{" "}
        <span data-testid="problem-count">{rows.length}</span> attendee{rows.length === 1 ? "" : "s"}
      </p>
      <p className="mt-1 text-sm">{entry.cause}</p>
      <p className="mt-1 text-sm text-muted">Fix: {entry.fix}</p>
      <p className="mt-1 text-sm" data-testid="problem-names">
        {rows.map((r, i) => (
          <span key={r.attendeeId}>
            {i > 0 && ", "}
            {r.envId ? <Link href={`/facilitator/environments/${r.envId}`} className="text-accent underline">{r.name}</Link> : r.name}
          </span>
        ))}
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-2 text-sm">
        {entry.action === "build-image" && tools.buildImage && (
          <button type="button" data-testid="problem-build-image" disabled={pending} onClick={() => run(buildRoomImageAction, "The room's image is building: follow it on the Room image card.")} className="rounded border border-accent px-2 py-0.5 text-accent">
            Build the room&apos;s image
          </button>
        )}
        {entry.action === "request-quota" && tools.cloud && (
          <a href="#before-the-event" data-testid="problem-request-quota" className="rounded border border-accent px-2 py-0.5 text-accent">
            Request a quota increase
          </a>
        )}
        {entry.action === "create-service-linked-role" && tools.cloud && (
          <button type="button" data-testid="problem-service-linked-role" disabled={pending} onClick={() => run(() => createServiceLinkedRoleAction({ service: "ecs.amazonaws.com" }), "The ECS service-linked role exists now.")} className="rounded border border-accent px-2 py-0.5 text-accent">
            Create the ECS service-linked role
          </button>
        )}
        {entry.action === "raise-memory" && (
          <details data-testid="problem-raise-memory" className="w-full">
            <summary className="cursor-pointer text-accent">Raise worker memory</summary>
            <p className="mt-1">{tools.memoryAdvice}</p>
          </details>
        )}
        {entry.action && REDEPLOY_AFTER.has(entry.action) && live.length > 0 && (
          confirming ? (
            <>
              <span>Delete {live.length} environment(s) and deploy new ones for them?</span>
              <button
                type="button"
                data-testid="problem-redeploy-confirm"
                disabled={pending}
                onClick={() => {
                  setConfirming(false);
                  run(() => redeployAction({ attendeeIds: live.map((r) => r.attendeeId) }), `Tearing down ${live.length}; each is deployed again once it is gone.`);
                }}
                className="rounded border border-bad px-2 py-0.5 text-bad"
              >
                Yes, redeploy
              </button>
              <button type="button" onClick={() => setConfirming(false)} className="rounded border border-line px-2 py-0.5">Cancel</button>
            </>
          ) : (
            <button type="button" data-testid="problem-redeploy" onClick={() => setConfirming(true)} className="rounded border border-line px-2 py-0.5">
              Tear down and redeploy these {live.length}
            </button>
          )
        )}
        {asking > 0 && (
          <a href="#help-queue" data-testid="problem-open-help" className="rounded border border-line px-2 py-0.5">
            Open their help requests ({asking})
          </a>
        )}
      </div>
      {message && (
        <p role={message.ok ? "status" : "alert"} data-testid="problem-action-result" className={`mt-2 text-sm ${message.ok ? "text-ok" : "text-bad"}`}>
          {message.text}
        </p>
      )}
    </li>
  );
}
