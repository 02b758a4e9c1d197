"use client";

import { useState } from "react";
import { announceAction } from "@/app/(facilitator)/actions";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";

/** A message every attendee page shows at once. */
export function AnnouncementForm() {
  const [message, setMessage] = useState("");
  const { status, pending, run } = useActionStatus();
  return (
    <form
      className="rounded-lg border border-line bg-card p-4"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => announceAction({ message }), () => "Sent to every attendee.", () => setMessage(""));
      }}
    >
      <label className="block">
        <span className="text-lg font-semibold">Announce to the room</span>
        <textarea
          data-testid="announce-input"
          value={message}
          maxLength={280}
          rows={2}
          onChange={(e) => setMessage(e.target.value)}
          className="mt-2 block w-full rounded-md border border-line bg-bg px-3 py-2"
        />
      </label>
      <div className="mt-2 flex items-center gap-3">
        <button type="submit" data-testid="announce-submit" disabled={pending} className="rounded-md bg-accent px-4 py-2 font-medium text-accent-fg">
          Broadcast
        </button>
        <span className="text-sm text-muted">{message.length}/280</span>
        <ActionStatus status={status} />
      </div>
    </form>
  );
}
