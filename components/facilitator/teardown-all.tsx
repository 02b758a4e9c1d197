"use client";

import { useState, useTransition } from "react";
import { teardownAllAction } from "@/app/(facilitator)/actions";
import { isDeletable } from "@/lib/status";
import type { RosterRow } from "@/lib/stream/protocol";

/** Tear down every live environment, then follow each to DELETE_COMPLETE (or its failure) on one bar. */
export function TeardownAll({ rows }: { rows: RosterRow[] }) {
  const [targets, setTargets] = useState<string[] | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const live = rows.filter((r) => r.envId && isDeletable(r.envStatus));
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
