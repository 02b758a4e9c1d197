import type { CostSample } from "@/lib/stream/protocol";

const W = 480;
const H = 140;
const PAD = 28;

/** The room's accrued total over time, as a small line chart. */
export function CostChart({ samples, unit }: { samples: CostSample[]; unit: string }) {
  const last = samples.at(-1)?.total ?? 0;
  if (samples.length < 2) {
    return (
      <section className="rounded-lg border border-line bg-card p-4" aria-labelledby="cost-heading">
        <h2 id="cost-heading" className="text-lg font-semibold">Room total over time</h2>
        <p className="mt-2 text-muted">A point is added every minute; the chart appears after two.</p>
      </section>
    );
  }
  const t0 = Date.parse(samples[0].at);
  const t1 = Date.parse(samples.at(-1)!.at);
  const max = Math.max(...samples.map((s) => s.total), 1e-9);
  const x = (at: string) => PAD + ((Date.parse(at) - t0) / Math.max(1, t1 - t0)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD + 8 - (v / max) * (H - PAD - 8);
  const d = samples.map((s, i) => `${i ? "L" : "M"}${x(s.at).toFixed(1)},${y(s.total).toFixed(1)}`).join(" ");
  return (
    <section className="rounded-lg border border-line bg-card p-4" aria-labelledby="cost-heading">
      <h2 id="cost-heading" className="text-lg font-semibold">Room total over time</h2>
      <svg viewBox={`0 0 ${W} ${H}`} className="mt-2 w-full" role="img" aria-label={`Room total rose to ${last.toFixed(2)} ${unit}`}>
        <line x1={PAD} y1={H - PAD + 8} x2={W - PAD} y2={H - PAD + 8} stroke="currentColor" opacity="0.3" />
        <path d={d} fill="none" stroke="var(--accent)" strokeWidth="2" />
        <text x={PAD} y={14} fontSize="11" fill="currentColor">{max.toFixed(2)} {unit}</text>
        <text x={PAD} y={H - 2} fontSize="11" fill="currentColor">{new Date(t0).toLocaleTimeString()}</text>
        <text x={W - PAD} y={H - 2} fontSize="11" fill="currentColor" textAnchor="end">{new Date(t1).toLocaleTimeString()}</text>
      </svg>
    </section>
  );
}
