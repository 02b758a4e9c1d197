"use client";

import { useEffect, useState, useTransition } from "react";
import { requestHelpAction } from "@/app/(attendee)/actions";
import { ASK_HELP_EVENT } from "@/components/environment/diagnosis-panel";
import { useEventStream } from "@/components/stream/use-event-stream";
import { attendeeEventsPath, attendeeStream, type Announcement, type EventInfo, type HelpState } from "@/lib/stream/protocol";

const DISMISSED_KEY = "dismissed-announcements";

function dismissedIds(): Set<number> {
  try {
    return new Set(JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? "[]") as number[]);
  } catch {
    return new Set();
  }
}

/**
 * Announcements (and hints meant for this attendee), the event's countdown and the help
 * button: live on every attendee page. `suggestedHelp` pre-fills the help request with the
 * environment's diagnosis, so the facilitator's queue shows the cause.
 */
export function AttendeeLive({ hasEnvironment, suggestedHelp = "" }: { hasEnvironment: boolean; suggestedHelp?: string }) {
  const [announcements, setAnnouncements] = useState<Announcement[]>([]);
  const [event, setEvent] = useState<EventInfo | null>(null);
  const [help, setHelp] = useState<HelpState>(null);
  const [now, setNow] = useState(() => Date.now());

  useEventStream(attendeeEventsPath, attendeeStream, {
    hello: (d) => {
      const hidden = dismissedIds();
      setEvent(d.event);
      setHelp(d.help);
      setAnnouncements(d.announcements.filter((a) => !hidden.has(a.id)));
    },
    announcement: (a) => setAnnouncements((list) => (list.some((x) => x.id === a.id) ? list : [...list, a])),
    event: setEvent,
    help: setHelp,
  });
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);

  function dismiss(id: number) {
    const ids = dismissedIds();
    ids.add(id);
    localStorage.setItem(DISMISSED_KEY, JSON.stringify([...ids]));
    setAnnouncements((list) => list.filter((a) => a.id !== id));
  }

  return (
    <div className="space-y-2">
      {announcements.map((a) => (
        <div
          key={a.id}
          data-testid="announcement"
          data-kind={a.hint ? "hint" : "announcement"}
          role="status"
          className="flex items-start gap-3 rounded-md border border-accent bg-card px-4 py-2"
        >
          <span aria-hidden>{a.hint ? "💡" : "📣"}</span>
          <p className="flex-1 whitespace-pre-wrap">
            {a.hint && <strong>A hint for you: </strong>}
            {a.message}
          </p>
          <button type="button" onClick={() => dismiss(a.id)} className="text-sm underline" aria-label="Dismiss announcement">
            Dismiss
          </button>
        </div>
      ))}
      <Countdown event={event} now={now} hasEnvironment={hasEnvironment} />
      <div className="fixed bottom-4 right-4 z-10 max-w-md rounded-lg border border-line bg-card px-4 py-2 shadow-lg">
        <HelpButton help={help} onSent={setHelp} suggested={suggestedHelp} />
      </div>
    </div>
  );
}

function Countdown({ event, now, hasEnvironment }: { event: EventInfo | null; now: number; hasEnvironment: boolean }) {
  if (!event?.endsAt || !hasEnvironment) return null;
  const left = Date.parse(event.endsAt) - now;
  if (left > 30 * 60_000) return null;
  if (left <= 0) {
    return (
      <p role="alert" data-testid="event-ended" className="rounded-md border border-bad px-4 py-2 text-bad">
        The event has ended: the portal is deleting every environment that is still running.
      </p>
    );
  }
  const minutes = Math.floor(left / 60_000);
  const seconds = Math.floor((left % 60_000) / 1000);
  const urgent = left <= 10 * 60_000;
  return (
    <p role={urgent ? "alert" : "status"} data-testid="event-countdown" className={`rounded-md border px-4 py-2 ${urgent ? "border-bad text-bad" : "border-warn text-warn"}`}>
      The event ends in {minutes}:{String(seconds).padStart(2, "0")}. Your environment will be deleted then — save any
      notebook results you want to keep{urgent ? " now" : ""}.
    </p>
  );
}

function HelpButton({ help, onSent, suggested }: { help: HelpState; onSent: (h: HelpState) => void; suggested: string }) {
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState(suggested);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  // The environment page's "Ask a facilitator about this" opens the form with its diagnosis.
  useEffect(() => {
    const ask = (e: Event) => {
      setMessage((e as CustomEvent<string>).detail.slice(0, 500));
      setOpen(true);
    };
    window.addEventListener(ASK_HELP_EVENT, ask);
    return () => window.removeEventListener(ASK_HELP_EVENT, ask);
  }, []);

  if (help && help.status !== "resolved") {
    return (
      <p role="status" data-testid="help-status" className="text-sm">
        {help.status === "coming"
          ? "🙋 A facilitator is on the way to you."
          : "🙋 Help requested — a facilitator can see your environment's diagnostics and will come over."}
      </p>
    );
  }
  if (!open) {
    return (
      <button type="button" data-testid="help-button" onClick={() => setOpen(true)} className="font-medium">
        🙋 I need help
      </button>
    );
  }
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const result = await requestHelpAction({ message });
          if (result.ok) {
            onSent({ id: result.data.id, status: result.data.status });
            setOpen(false);
          } else setError(result.error);
        });
      }}
    >
      <label className="block flex-1">
        <span className="block text-sm font-medium">What is going wrong? (optional)</span>
        <input
          data-testid="help-message"
          value={message}
          maxLength={500}
          onChange={(e) => setMessage(e.target.value)}
          className="mt-1 w-full rounded-md border border-line bg-bg px-3 py-2"
        />
      </label>
      <button type="submit" data-testid="help-submit" disabled={pending} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg">
        {pending ? "Sending…" : "Ask for help"}
      </button>
      <button type="button" onClick={() => setOpen(false)} className="rounded-md border border-line px-3 py-2">
        Cancel
      </button>
      {error && <p role="alert" className="w-full text-bad">{error}</p>}
    </form>
  );
}
