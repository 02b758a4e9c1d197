function tone(status: string): string {
  if (status.includes("FAILED") || status.startsWith("ROLLBACK")) return "border-bad text-bad";
  if (status.endsWith("_COMPLETE") && !status.startsWith("DELETE")) return "border-ok text-ok";
  if (status.endsWith("_IN_PROGRESS")) return "border-warn text-warn";
  return "border-line text-muted";
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="env-status" className={`rounded-full border px-3 py-0.5 font-mono text-sm ${tone(status)}`}>
      {status}
    </span>
  );
}
