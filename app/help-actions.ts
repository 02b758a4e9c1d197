"use server";

import { runAction } from "@/lib/actions";
import { PortalError } from "@/lib/errors";
import { requestHelp } from "@/lib/room/help";

export async function requestHelpAction(message: string) {
  return runAction(async (viewer) => {
    if (viewer.role !== "attendee") throw new PortalError("forbidden", "Only attendees ask for help.");
    const request = requestHelp(viewer.id, message);
    return { id: request.id, status: request.status };
  });
}
