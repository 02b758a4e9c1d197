"use client";

import { useState, useTransition } from "react";
import { reconcileAction } from "@/app/facilitator/actions";

/** Compares the store with the event's stacks in AWS, so nothing that costs money is forgotten. */
export function ReconcileButton() {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const r = await reconcileAction();
            setMessage(r.ok ? { ok: true, text: r.data } : { ok: false, text: r.error });
          })
        }
        className="rounded-md border border-line px-3 py-1.5"
      >
        {pending ? "Comparing with AWS…" : "Reconcile with AWS"}
      </button>
      {message && <span role={message.ok ? "status" : "alert"} className={message.ok ? "text-muted" : "text-bad"}>{message.text}</span>}
    </div>
  );
}
