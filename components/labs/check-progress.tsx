"use client";

import { useState, useTransition } from "react";
import { checkLabAction } from "@/app/(attendee)/actions";

type Outcome = { passed: true; passedAt: string; detail: string } | { passed: false; message: string; hint: string };

export function CheckProgress({ slug, passedAt }: { slug: string; passedAt?: string }) {
  const [outcome, setOutcome] = useState<Outcome | null>(passedAt ? { passed: true, passedAt, detail: "" } : null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  return (
    <div className="rounded-lg border border-line bg-card p-4" data-testid="check-progress">
      <div className="flex flex-wrap items-center gap-3">
        <button
          type="button"
          data-testid="check-button"
          disabled={pending}
          onClick={() =>
            startTransition(async () => {
              const result = await checkLabAction({ slug });
              if (result.ok) {
                setOutcome(result.data);
                setError(null);
              } else setError(result.error);
            })
          }
          className="rounded-md border border-accent px-4 py-2 font-medium text-accent disabled:opacity-60"
        >
          {pending ? "Checking…" : "Check my progress"}
        </button>
        <div role="status" data-testid="check-result" aria-live="polite">
          {outcome?.passed && (
            <span className="text-ok">
              ✓ Passed {new Date(outcome.passedAt).toLocaleTimeString()}
              {outcome.detail ? ` — ${outcome.detail}` : ""}
            </span>
          )}
          {outcome && !outcome.passed && (
            <span className="text-bad">
              {outcome.message} <span className="text-fg">Next: {outcome.hint}</span>
            </span>
          )}
          {error && <span className="text-bad">{error}</span>}
        </div>
      </div>
    </div>
  );
}
