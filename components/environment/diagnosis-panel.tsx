"use client";

import { useState, useTransition } from "react";
import { dismissDiagnosisAction } from "@/app/(attendee)/actions";
import { catalogue, helpMessageFor } from "@/lib/diagnosis/catalogue";
import type { EnvironmentDiagnosis } from "@/lib/diagnosis/codes";

/** What the attendee's help form listens for: open, pre-filled with this message (components/room/attendee-live.tsx). */
export const ASK_HELP_EVENT = "portal:ask-help";

/**
 * The environment's latest failure in one sentence and its fix, ahead of everything else;
 * the platform's own message is one click away. The owner can ask for help about it (the
 * request carries the cause) or hide it once dealt with.
 */
export function DiagnosisPanel({ envId, diagnosis, owner }: { envId: string; diagnosis: EnvironmentDiagnosis; owner: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const dismiss = () =>
    startTransition(async () => {
      const r = await dismissDiagnosisAction({ envId });
      setError(r.ok ? null : r.error);
    });

  return (
    <section aria-labelledby="diagnosis-heading" role="alert" data-testid="diagnosis" data-code={diagnosis.code} className="rounded-lg border border-bad bg-card p-5">
      <h2 id="diagnosis-heading" className="text-lg font-semibold text-bad">
        What went wrong: {catalogue[diagnosis.code].title}
      </h2>
      <p className="mt-2" data-testid="diagnosis-cause">{diagnosis.cause}</p>
      <p className="mt-2">
        <strong>What to do:</strong> <span data-testid="diagnosis-fix">{diagnosis.fix}</span>
      </p>
      <details className="mt-3 text-sm" data-testid="diagnosis-raw">
        <summary className="cursor-pointer text-muted">
          The message it comes from ({diagnosis.source}, {new Date(diagnosis.at).toLocaleTimeString()})
        </summary>
        <pre className="mt-2 whitespace-pre-wrap break-all rounded bg-code p-2 text-xs">{diagnosis.raw}</pre>
        {diagnosis.pointsAt && (
          <p className="mt-2" data-testid="diagnosis-points-at">
            The rollback began here: <code className="break-all">{diagnosis.pointsAt}</code>
          </p>
        )}
      </details>
      {owner && (
        <div className="mt-3 flex flex-wrap gap-2 text-sm">
          <button
            type="button"
            data-testid="diagnosis-ask-help"
            onClick={() => window.dispatchEvent(new CustomEvent(ASK_HELP_EVENT, { detail: helpMessageFor(diagnosis) }))}
            className="rounded border border-line px-3 py-1"
          >
            Ask a facilitator about this
          </button>
          <button type="button" data-testid="diagnosis-dismiss" disabled={pending} onClick={dismiss} className="rounded border border-line px-3 py-1">
            It is solved — hide it
          </button>
        </div>
      )}
      {error && <p role="alert" className="mt-2 text-bad">{error}</p>}
    </section>
  );
}
