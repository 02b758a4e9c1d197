import { defineStreamRoute } from "@/app/api/stream-route";
import { environmentFor } from "@/lib/environments";

export const dynamic = "force-dynamic";

/** One environment's live stream, for its owner and the facilitator (anyone else: the same 404 as a missing one). */
export const GET = defineStreamRoute<{ id: string }>({
  // A signed-out, re-coded or removed attendee's open page hears it within seconds.
  recheck: true,
  resumeFromQuery: true,
  channel: ({ viewer, rt, params }) => {
    const row = environmentFor(viewer, params.id);
    return (sink, lastEventId) => rt.watchers.watch(row).subscribe(sink, lastEventId);
  },
});
