"use client";

import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { returnCodeKeptAction } from "@/app/(attendee)/actions";
import { CopyButton } from "./copy-button";

/** An attendee's new return code, on every page until they say they have kept it. */
export function ReturnCodeNotice({ code }: { code: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  return (
    <section data-testid="return-code" aria-labelledby="return-code-heading" className="mb-4 rounded-lg border-2 border-warn bg-card p-4">
      <h2 id="return-code-heading" className="text-lg font-semibold">Your return code — you need this to sign back in</h2>
      <p className="mt-1 text-muted">
        Keep it somewhere safe (a note on your phone will do). Signing in again with your email, on this or another computer, asks for it.
        It is shown only now; if you lose it, your facilitator can give you a new one.
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <code data-testid="return-code-value" className="rounded-md border border-line bg-bg px-3 py-1 font-mono text-xl tracking-widest">
          {code}
        </code>
        <CopyButton text={code} label="Copy your return code" />
      </div>
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            await returnCodeKeptAction();
            router.refresh();
          })
        }
        className="mt-3 rounded-md bg-accent px-4 py-2 font-medium text-accent-fg disabled:opacity-60"
      >
        I have saved it
      </button>
    </section>
  );
}
