"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { scaleAction, teardownAction } from "@/app/(attendee)/actions";
import { useActionStatus } from "@/components/ui/action-status";
import { teardownLabel } from "@/lib/status";

/** Sets the number of workers; bad input gets the action's own message. */
export function ScaleControl({ envId, maxWorkers, desired }: { envId: string; maxWorkers: number; desired: number }) {
  const [value, setValue] = useState(String(desired));
  const { status: message, pending, run } = useActionStatus();

  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => scaleAction({ envId, workers: value }), (data) => `Scaling to ${data.workers} worker(s)…`);
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
      <button data-testid="scale-submit" type="submit" disabled={pending} className="rounded-md border border-line px-4 py-2 font-medium disabled:opacity-60">
        {pending ? "Scaling…" : "Scale workers"}
      </button>
      <span id="scale-message" data-testid="scale-message" role={message && !message.ok ? "alert" : "status"} className={message?.ok ? "text-muted" : "text-bad"}>
        {message?.text}
      </span>
    </form>
  );
}

/** Deletes the environment after a confirmation that says what is lost. */
export function Teardown({ envId, status }: { envId: string; status: string }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  if (!confirming) {
    return (
      <button data-testid="teardown-button" type="button" onClick={() => setConfirming(true)} className="rounded-md border border-bad px-4 py-2 font-medium text-bad">
        {teardownLabel(status)}
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
              const result = await teardownAction({ envId });
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

export function DeployAgain() {
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
