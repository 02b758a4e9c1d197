"use client";

import { useState, useTransition } from "react";
import { markLabDoneAction } from "@/app/(attendee)/actions";

export function MarkDone({ slug, initiallyDone }: { slug: string; initiallyDone: boolean }) {
  const [done, setDone] = useState(initiallyDone);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function toggle() {
    startTransition(async () => {
      const result = await markLabDoneAction({ slug, done: !done });
      if (result.ok) {
        setDone(result.data.done);
        setError(null);
      } else {
        setError(result.error);
      }
    });
  }

  return (
    <div className="flex items-center gap-3">
      <button
        type="button"
        data-testid="lab-done"
        aria-pressed={done}
        onClick={toggle}
        disabled={pending}
        className={`rounded-md px-4 py-2 font-medium disabled:opacity-60 ${
          done ? "border border-ok text-ok" : "bg-accent text-accent-fg"
        }`}
      >
        {done ? "✓ Done — mark as not done" : "Mark this lab as done"}
      </button>
      {error && <span role="alert" className="text-bad">{error}</span>}
    </div>
  );
}
