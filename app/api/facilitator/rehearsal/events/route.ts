import { defineStreamRoute } from "@/app/api/stream-route";

export const dynamic = "force-dynamic";

/** The dress rehearsal (its phases, the notebook's log, the newest report), for the facilitator. */
export const GET = defineStreamRoute({
  role: "facilitator",
  channel: ({ rt }) => (sink, lastEventId) => rt.rehearsal.subscribe(sink, lastEventId),
});
