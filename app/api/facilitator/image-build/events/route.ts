import { defineStreamRoute } from "@/app/api/stream-route";
import { PortalError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** The room's image and its build (phases and log), for the facilitator. */
export const GET = defineStreamRoute({
  role: "facilitator",
  channel: ({ rt }) => {
    const build = rt.imageBuild;
    if (!build) throw new PortalError("not_found", "The room's image is built in the cloud with the AWS provider in event mode only.");
    return (sink, lastEventId) => build.subscribe(sink, lastEventId);
  },
});
