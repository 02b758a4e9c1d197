"use client";

import { reconcileAction } from "@/app/(facilitator)/actions";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";

/** Compares the store with the event's stacks in AWS, so nothing that costs money is forgotten. */
export function ReconcileButton() {
  const { status, pending, run } = useActionStatus();
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button
        type="button"
        disabled={pending}
        onClick={() => run(() => reconcileAction(), (summary) => summary)}
        className="rounded-md border border-line px-3 py-1.5"
      >
        {pending ? "Comparing with AWS…" : "Reconcile with AWS"}
      </button>
      <ActionStatus status={status} />
    </div>
  );
}
