"use client";

import { useState, useTransition } from "react";
import { activateCostAllocationTagAction, createServiceLinkedRoleAction, requestQuotaIncreaseAction } from "@/app/(facilitator)/actions";
import type { PreflightFixAction } from "@/lib/providers/contract";

const roleNames = { "ecs.amazonaws.com": "ECS", "servicequotas.amazonaws.com": "Service Quotas" } as const;

function describe(fix: PreflightFixAction): { label: string; run: () => Promise<{ ok: true } | { ok: false; error: string }> } {
  switch (fix.kind) {
    case "create-service-linked-role":
      return { label: `Create the ${roleNames[fix.service]} service-linked role`, run: () => createServiceLinkedRoleAction({ service: fix.service }) };
    case "request-quota-increase":
      return { label: `Request increase to ${fix.desired}`, run: () => requestQuotaIncreaseAction({ quotaCode: fix.quotaCode, desired: fix.desired }) };
    case "activate-cost-allocation-tag":
      return { label: "Activate the cost allocation tag", run: () => activateCostAllocationTagAction() };
  }
}

/** The button that applies a fix the portal can make itself, where the problem is shown; AWS's refusal appears under it. */
export function FixActionButton({ action, onDone, testId = "fix-action" }: { action: PreflightFixAction; onDone: () => void; testId?: string }) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const { label, run } = describe(action);
  const apply = () =>
    startTransition(async () => {
      const r = await run();
      setError(r.ok ? null : r.error);
      if (r.ok) onDone();
    });
  return (
    <>
      <button type="button" disabled={pending} onClick={apply} data-testid={testId} data-kind={action.kind} className="mt-2 rounded-md border border-line px-3 py-1 font-normal disabled:opacity-50">
        {pending ? "Working…" : label}
      </button>
      {error && (
        <p role="alert" className="mt-1 font-normal text-bad" data-testid={`${testId}-error`}>
          {error}
        </p>
      )}
    </>
  );
}
