"use client";

import { useState } from "react";

/** Copies `text`, and says so (or that the browser refused: the code stays on screen to copy by hand). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState("");
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setSaid("Copied");
    } catch {
      setSaid("The browser would not copy it: select the code and copy it by hand.");
    }
  }
  return (
    <>
      <button type="button" onClick={copy} aria-label={label} className="rounded-md border border-line px-3 py-1 text-sm font-medium">
        Copy
      </button>
      <span role="status" className="text-sm text-muted">{said}</span>
    </>
  );
}
