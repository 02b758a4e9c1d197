import { defineStreamRoute } from "@/app/api/stream-route";

export const dynamic = "force-dynamic";

/** The whole room in one stream, for the facilitator. */
export const GET = defineStreamRoute({
  role: "facilitator",
  channel: ({ rt }) => (sink, lastEventId) => rt.room.subscribe(sink, lastEventId),
});
