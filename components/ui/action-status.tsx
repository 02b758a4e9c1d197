"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/errors";

export interface StatusMessage {
  ok: boolean;
  text: string;
}

/**
 * Runs a server action in a transition and keeps the message to show: the success text
 * (from the result), or the action's own error.
 */
export function useActionStatus() {
  const [status, setStatus] = useState<StatusMessage | null>(null);
  const [pending, startTransition] = useTransition();
  function run<T>(action: () => Promise<ActionResult<T>>, success: (data: T) => string, after?: (data: T) => void) {
    startTransition(async () => {
      const result = await action();
      if (result.ok) {
        setStatus({ ok: true, text: success(result.data) });
        after?.(result.data);
      } else {
        setStatus({ ok: false, text: result.error });
      }
    });
  }
  return { status, pending, run };
}

/** The outcome of an action, announced to screen readers: politely when it worked, at once when it did not. */
export function ActionStatus({ status }: { status: StatusMessage | null }) {
  if (!status) return null;
  return (
    <span role={status.ok ? "status" : "alert"} className={status.ok ? "text-ok" : "text-bad"}>
      {status.text}
    </span>
  );
}
