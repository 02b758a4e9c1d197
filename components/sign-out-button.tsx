"use client";

import { signOut } from "next-auth/react";

export function SignOutButton() {
  return (
    <button
      type="button"
      onClick={() => signOut({ callbackUrl: "/signin" })}
      className="rounded border border-line px-2 py-1 text-fg hover:bg-code"
    >
      Sign out
    </button>
  );
}
