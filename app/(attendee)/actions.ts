"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { defineAction } from "@/lib/actions";
import { forgetReturnCode } from "@/lib/auth/reveal";
import { dismissDiagnosis } from "@/lib/diagnosis/dismiss";
import { setCurrentLab } from "@/lib/db/lab-queries";
import { deployEnvironment, scaleEnvironment, teardownEnvironment } from "@/lib/environments";
import { PortalError } from "@/lib/errors";
import { findLab } from "@/lib/labs";
import { runCheck } from "@/lib/labs/checks";
import { labDoneAudit, labDoneSpec, labSlugSchema, markLabDone } from "@/lib/labs/progress";
import { helpMessageSchema, requestHelp } from "@/lib/room/help";

// The actions an attendee's pages call. Deploy, scale, tear down, checks and help
// requests write their own audit entries (the commands are shared with the facilitator
// and the portal itself); marking a lab done is audited by its spec (lib/labs/progress.ts).

const envId = z.string().min(1, "Environment not found.").max(64, "Environment not found.");

export const deployAction = defineAction({ input: z.void(), role: "attendee" }, async ({ viewer, rt }) => {
  const row = await deployEnvironment(rt, viewer);
  return { id: row.id };
});

export const scaleAction = defineAction(
  { input: z.object({ envId, workers: z.unknown() }), role: "attendee" },
  async ({ input, viewer, rt }) => ({ workers: await scaleEnvironment(rt, viewer, input.envId, input.workers) }),
);

export const teardownAction = defineAction({ input: z.object({ envId }), role: "attendee" }, async ({ input, viewer, rt }) => {
  await teardownEnvironment(rt, viewer, input.envId);
  return { id: input.envId };
});

export const markLabDoneAction = defineAction(
  labDoneSpec,
  async (ctx) => {
    const result = await markLabDone(ctx);
    // The sidebar's "n of 5 done" is rendered by the labs layout.
    revalidatePath("/labs", "layout");
    return result;
  },
  labDoneAudit,
);

/** The attendee opened a lab: the facilitator's roster shows where they are. */
export const visitLabAction = defineAction({ input: z.object({ slug: labSlugSchema }), role: "attendee" }, async ({ input, viewer }) => {
  setCurrentLab(viewer.id, input.slug);
  return { slug: input.slug };
});

export const checkLabAction = defineAction({ input: z.object({ slug: labSlugSchema }), role: "attendee" }, async ({ input, viewer, rt }) => {
  const lab = findLab(input.slug);
  if (!lab?.check) throw new PortalError("bad_request", "This lab has no automatic check.");
  return runCheck(rt, viewer, lab.slug, lab.check);
});

export const requestHelpAction = defineAction(
  { input: z.object({ message: helpMessageSchema }), role: "attendee" },
  async ({ input, viewer, rt }) => {
    const request = requestHelp(rt, viewer, input.message);
    return { id: request.id, status: request.status };
  },
);

/** The attendee has kept their return code: it is not shown again. */
export const returnCodeKeptAction = defineAction({ input: z.void(), role: "attendee" }, async ({ viewer }) => {
  forgetReturnCode(viewer.id);
  return { kept: true };
});

/** The attendee has dealt with their environment's diagnosis: it is hidden until a new failure comes. */
export const dismissDiagnosisAction = defineAction({ input: z.object({ envId }), role: "attendee" }, async ({ input, viewer, rt }) =>
  dismissDiagnosis(rt, viewer, input.envId),
);
