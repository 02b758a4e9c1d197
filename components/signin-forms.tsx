"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

const inputClass =
  "mt-1 block w-full rounded-md border border-line bg-bg px-3 py-2 text-fg placeholder:text-muted";

function useCredentialForm(provider: "attendee" | "facilitator", fallbackUrl: string, callbackUrl?: string) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    const fields = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
    const result = await signIn(provider, { ...fields, redirect: false });
    setPending(false);
    if (!result || result.error) {
      setError(result?.error && result.error !== "CredentialsSignin" ? result.error : "Sign-in failed. Try again.");
      return;
    }
    router.replace(callbackUrl ?? fallbackUrl);
    router.refresh();
  }

  return { error, pending, onSubmit };
}

export function SignInForms({ callbackUrl }: { callbackUrl?: string }) {
  const attendee = useCredentialForm("attendee", "/labs", callbackUrl);
  const facilitator = useCredentialForm("facilitator", "/facilitator", callbackUrl);

  return (
    <div className="mt-8 grid gap-8 md:grid-cols-[3fr_2fr]">
      <form
        data-testid="signin-attendee"
        onSubmit={attendee.onSubmit}
        className="rounded-lg border border-line bg-card p-6"
        aria-labelledby="attendee-heading"
        noValidate
      >
        <h2 id="attendee-heading" className="text-xl font-semibold">Join as an attendee</h2>
        <label className="mt-4 block">
          <span className="font-medium">Your name</span>
          <input name="name" autoComplete="name" required maxLength={80} className={inputClass} />
        </label>
        <label className="mt-4 block">
          <span className="font-medium">Email</span>
          <input name="email" type="email" autoComplete="email" required maxLength={254} className={inputClass} />
        </label>
        <label className="mt-4 block">
          <span className="font-medium">Event join code</span>
          <input name="code" autoComplete="off" required maxLength={64} placeholder="DASK-XXXX-XXXX" className={inputClass} />
        </label>
        <label className="mt-4 block">
          <span className="font-medium">Return code</span>{" "}
          <span className="text-muted">(only if you have joined before)</span>
          <input
            name="returnCode"
            autoComplete="off"
            maxLength={32}
            placeholder="XXXX-XXXX-XXXX"
            aria-describedby="return-code-help"
            className={inputClass}
          />
          <span id="return-code-help" className="mt-1 block text-sm text-muted">
            Your first sign-in shows it once. Lost it? Your facilitator can give you a new one.
          </span>
        </label>
        {attendee.error && (
          <p role="alert" className="mt-4 rounded-md border border-bad px-3 py-2 text-bad">
            {attendee.error}
          </p>
        )}
        <button
          type="submit"
          disabled={attendee.pending}
          className="mt-5 rounded-md bg-accent px-4 py-2 font-medium text-accent-fg disabled:opacity-60"
        >
          {attendee.pending ? "Joining…" : "Join the workshop"}
        </button>
      </form>

      <form
        data-testid="signin-facilitator"
        onSubmit={facilitator.onSubmit}
        className="rounded-lg border border-line bg-card p-6"
        aria-labelledby="facilitator-heading"
        noValidate
      >
        <h2 id="facilitator-heading" className="text-xl font-semibold">Facilitator</h2>
        <label className="mt-4 block">
          <span className="font-medium">Password</span>
          <input name="password" type="password" autoComplete="current-password" required maxLength={200} className={inputClass} />
        </label>
        {facilitator.error && (
          <p role="alert" className="mt-4 rounded-md border border-bad px-3 py-2 text-bad">
            {facilitator.error}
          </p>
        )}
        <button
          type="submit"
          disabled={facilitator.pending}
          className="mt-5 rounded-md border border-line px-4 py-2 font-medium disabled:opacity-60"
        >
          {facilitator.pending ? "Signing in…" : "Sign in as facilitator"}
        </button>
      </form>
    </div>
  );
}
