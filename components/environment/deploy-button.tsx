"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deployAction } from "@/app/(attendee)/actions";

export function DeployButton() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <div>
      <button
        data-testid="deploy-button"
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await deployAction();
            if (result.ok) router.refresh();
            else setError(result.error);
          })
        }
        className="rounded-md bg-accent px-5 py-2.5 text-lg font-medium text-accent-fg disabled:opacity-60"
      >
        {pending ? "Deploying…" : "Deploy my Dask environment"}
      </button>
      {error && <p role="alert" className="mt-3 text-bad">{error}</p>}
    </div>
  );
}
