"use client";

import { useEffect, useState, useTransition } from "react";
import { sendHintAction } from "@/app/(facilitator)/actions";
import { isStuck, roomPace } from "@/lib/room/pace";
import type { RosterRow } from "@/lib/stream/protocol";

const TICK_MS = 30_000;

/**
 * The room's pace, per lab: who is on it, how many finished, who is stuck, the median time on
 * it; a hint to everyone on a lab or to one attendee. The stuck threshold starts at
 * PORTAL_STUCK_MINUTES and can be changed here for this page.
 */
export function PaceCard({ rows, labTitles, stuckMinutes }: { rows: RosterRow[]; labTitles: Record<string, string>; stuckMinutes: number }) {
  const [now, setNow] = useState(() => Date.now());
  const [minutes, setMinutes] = useState(String(stuckMinutes));
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(tick);
  }, []);
  const threshold = /^\d{1,4}$/.test(minutes.trim()) ? Number(minutes) : stuckMinutes;
  const labs = roomPace(rows, Object.entries(labTitles).map(([slug, title]) => ({ slug, title })), now, threshold);

  return (
    <section aria-labelledby="pace-heading" data-testid="pace-card" className="rounded-lg border border-line bg-card p-4">
      <div className="flex flex-wrap items-end gap-3">
        <h2 id="pace-heading" className="mr-auto text-lg font-semibold">Pace of the room</h2>
        <label className="text-sm">
          <span className="mr-2">Stuck after</span>
          <input
            data-testid="pace-stuck-minutes"
            value={minutes}
            inputMode="numeric"
            onChange={(e) => setMinutes(e.target.value)}
            className="w-16 rounded border border-line bg-bg px-2 py-1"
          />
          <span className="ml-1">min without progress</span>
        </label>
      </div>
      {minutes.trim() !== String(threshold) && <p role="alert" className="mt-1 text-sm text-bad">Enter whole minutes (0–9999); using {threshold}.</p>}
      <table className="mt-3 w-full text-left text-sm">
        <thead>
          <tr className="border-b border-line">
            <th scope="col" className="py-1">Lab</th>
            <th scope="col" className="py-1">On it</th>
            <th scope="col" className="py-1">Done</th>
            <th scope="col" className="py-1">Stuck</th>
            <th scope="col" className="py-1">Median time</th>
          </tr>
        </thead>
        <tbody>
          {labs.map((lab) => (
            <tr key={lab.slug} data-testid="pace-lab" data-lab={lab.slug} className="border-b border-line align-top">
              <td className="py-1">
                {lab.title}
                {lab.on.length > 0 && (
                  <ul className="mt-1 space-y-1">
                    {lab.on.map((r) => (
                      <li key={r.attendeeId} data-testid="pace-attendee" data-stuck={String(isStuck(r, now, threshold))} className="flex flex-wrap items-center gap-2">
                        <span>{r.name}</span>
                        {isStuck(r, now, threshold) && <span className="text-bad">stuck</span>}
                        <HintForm attendeeId={r.attendeeId} label={`Hint to ${r.name}`} />
                      </li>
                    ))}
                  </ul>
                )}
                {lab.on.length > 0 && <HintForm lab={lab.slug} label={`Hint to everyone on this lab (${lab.on.length})`} />}
              </td>
              <td className="py-1" data-testid="pace-on">{lab.on.length}</td>
              <td className="py-1" data-testid="pace-done">{lab.done}</td>
              <td className={`py-1 ${lab.stuck.length ? "text-bad" : ""}`} data-testid="pace-stuck">{lab.stuck.length}</td>
              <td className="py-1" data-testid="pace-median">{lab.medianMinutes === null ? "—" : `${Math.round(lab.medianMinutes)} min`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A hint that arrives like an announcement, but only for everyone on `lab`, or for `attendeeId`. */
function HintForm({ lab, attendeeId, label }: { lab?: string; attendeeId?: string; label: string }) {
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState("");
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  if (!open) {
    return (
      <span className="inline-flex items-center gap-2">
        <button type="button" data-testid={lab ? "pace-hint-lab" : "pace-hint-attendee"} onClick={() => setOpen(true)} className="rounded border border-line px-2 py-0.5 text-xs">
          {label}
        </button>
        {result?.ok && <span role="status" data-testid="pace-hint-sent" className="text-xs text-ok">{result.text}</span>}
      </span>
    );
  }
  return (
    <form
      className="mt-1 flex w-full flex-wrap items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const r = await sendHintAction({ message, ...(lab ? { lab } : { attendeeId }) });
          if (r.ok) {
            setResult({ ok: true, text: `Sent to ${r.data.recipients}.` });
            setMessage("");
            setOpen(false);
          } else setResult({ ok: false, text: r.error });
        });
      }}
    >
      <label className="flex-1">
        <span className="sr-only">{label}</span>
        <input data-testid="pace-hint-message" value={message} maxLength={280} onChange={(e) => setMessage(e.target.value)} placeholder={label} className="w-full rounded border border-line bg-bg px-2 py-1" />
      </label>
      <button type="submit" data-testid="pace-hint-send" disabled={pending} className="rounded bg-accent px-2 py-1 text-accent-fg">Send</button>
      <button type="button" onClick={() => setOpen(false)} className="rounded border border-line px-2 py-1">Cancel</button>
      {result && !result.ok && <p role="alert" className="w-full text-bad">{result.text}</p>}
    </form>
  );
}
