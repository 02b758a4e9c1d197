"use client";

import { saveEventAction } from "@/app/(facilitator)/actions";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";

export interface EventFormValues {
  name: string;
  startsAt: string | null;
  endsAt: string | null;
}

function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The event's name and times; at the end time the portal deletes whatever still runs. */
export function EventForm({ event }: { event: EventFormValues }) {
  const { status, pending, run } = useActionStatus();
  return (
    <form
      className="rounded-lg border border-line bg-card p-4"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        // datetime-local has no zone: read it in the facilitator's own time zone.
        const iso = (v: FormDataEntryValue | null) => (v ? new Date(String(v)).toISOString() : "");
        run(() => saveEventAction({ name: String(f.get("name") ?? ""), startsAt: iso(f.get("startsAt")), endsAt: iso(f.get("endsAt")) }), () => "Saved.");
      }}
    >
      <h2 className="text-lg font-semibold">The event</h2>
      <p className="text-sm text-muted">At the end time the portal deletes every environment still running, and retries until each is gone.</p>
      <div className="mt-2 grid gap-3">
        <label className="block text-sm">
          <span>Name</span>
          <input name="name" defaultValue={event.name} maxLength={120} className="mt-1 w-full rounded border border-line bg-bg px-2 py-1" />
        </label>
        <label className="block text-sm">
          <span>Starts</span>
          <input name="startsAt" type="datetime-local" defaultValue={toLocalInput(event.startsAt)} className="mt-1 w-full rounded border border-line bg-bg px-2 py-1" />
        </label>
        <label className="block text-sm">
          <span>Ends</span>
          <input name="endsAt" type="datetime-local" defaultValue={toLocalInput(event.endsAt)} className="mt-1 w-full rounded border border-line bg-bg px-2 py-1" />
        </label>
      </div>
      <div className="mt-2 flex items-center gap-3">
        <button type="submit" disabled={pending} className="rounded-md border border-line px-4 py-2 font-medium">Save</button>
        <ActionStatus status={status} />
      </div>
    </form>
  );
}
