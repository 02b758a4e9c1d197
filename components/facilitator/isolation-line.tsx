import type { Isolation } from "@/lib/providers/local/sandbox";

/** How the local provider keeps attendees' environments apart, and whether deploys are refused for it. */
export function IsolationLine({ isolation }: { isolation: Isolation }) {
  const tone = !isolation.deploysAllowed ? "text-bad" : isolation.mode === "none" ? "text-warn" : "text-ok";
  return (
    <p className="rounded-lg border border-line bg-card px-4 py-2 text-sm" data-testid="isolation" data-mode={isolation.mode}>
      <span className="text-muted">Isolation: </span>
      <span className={tone}>{isolation.message}</span>
    </p>
  );
}
