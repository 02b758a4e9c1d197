import type { IsolationReport, PartState } from "@/lib/providers/contract";

const tone: Record<PartState, string> = { ok: "text-ok", weaker: "text-warn", missing: "text-bad" };
const label = { sandbox: "Sandbox", network: "Network", caps: "Caps" } as const;

/** How the local provider keeps attendees' environments apart, part by part: what holds, what is weaker (and accepted), what refuses deploys. */
export function IsolationLine({ isolation }: { isolation: IsolationReport }) {
  return (
    <section
      aria-label="Isolation"
      className="rounded-lg border border-line bg-card px-4 py-2 text-sm"
      data-testid="isolation"
      data-mode={isolation.mode}
      data-deploys={isolation.deploysAllowed ? "allowed" : "refused"}
    >
      <ul className="space-y-1">
        {isolation.parts.map((p) => (
          <li key={p.part} data-testid="isolation-part" data-part={p.part} data-state={p.state}>
            <span className="text-muted">Isolation · {label[p.part]}: </span>
            <span className={tone[p.state]}>{p.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
