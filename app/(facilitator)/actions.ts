"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions";
import { scaleEnvironment, teardownEnvironment } from "@/lib/environments";
import { reconcileNow, summarizeReconciliation } from "@/lib/environments/reconcile";
import { PortalError } from "@/lib/errors";
import type { CloudTools, EventStackView, RoomImageTools } from "@/lib/providers/contract";
import { eventSettingsSchema, saveEvent } from "@/lib/room/event";
import { reissueReturnCode, removeAttendee, signOutAttendee, signOutEveryone } from "@/lib/room/attendees";
import { redeployEnvironments } from "@/lib/environments/redeploy";
import { announce, announcementSchema, hintSchema, sendHint, teardownAll } from "@/lib/room/facilitator";
import { helpBundle, updateHelp } from "@/lib/room/help";
import type { Runtime } from "@/lib/runtime";

// The actions of the facilitator's pages. Every one requires the facilitator role and
// leaves an audit entry, written here or by the command it calls.

const envId = z.string().min(1, "Environment not found.").max(64, "Environment not found.");
const attendeeId = z.string().min(1, "No such attendee.").max(64, "No such attendee.");
const helpId = z.coerce.number({ message: "Unknown help request." }).int("Unknown help request.").positive("Unknown help request.");

function cloudOf(rt: Runtime): CloudTools {
  if (!rt.provider.cloud) throw new PortalError("bad_request", "These checks apply to the AWS provider only.");
  return rt.provider.cloud;
}

function imageOf(rt: Runtime): RoomImageTools {
  if (!rt.provider.image) throw new PortalError("bad_request", "The room's image is built in the cloud with the AWS provider in event mode only.");
  return rt.provider.image;
}

const attendeesMessage = "Enter the number of attendees as a whole number from 0 to 10000.";
const stackDetail = (v: EventStackView) =>
  v.refused ? `refused: ${v.refused.sentence}` : `${v.stackName ?? "solo"}: ${v.status}${v.reason ? ` — ${v.reason}` : ""}`;

export const teardownOneAction = defineAction({ input: z.object({ envId }), role: "facilitator" }, async ({ input, viewer, rt }) => {
  await teardownEnvironment(rt, viewer, input.envId);
  return { id: input.envId };
});

export const scaleToZeroAction = defineAction({ input: z.object({ envId }), role: "facilitator" }, async ({ input, viewer, rt }) => ({
  workers: await scaleEnvironment(rt, viewer, input.envId, 0),
}));

export const teardownAllAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ viewer, rt }) => teardownAll(rt, viewer));

export const announceAction = defineAction({ input: z.object({ message: announcementSchema }), role: "facilitator" }, async ({ input, viewer, rt }) => ({
  id: announce(rt.signal, viewer, input.message).id,
}));

/** A hint to everyone on one lab, or to one attendee, from the pace card. */
export const sendHintAction = defineAction({ input: hintSchema, role: "facilitator" }, async ({ input, viewer, rt }) => sendHint(rt.signal, viewer, input));

/** The Room problems card's "tear down and redeploy these N" (lib/environments/redeploy.ts audits it). */
export const redeployAction = defineAction(
  { input: z.object({ attendeeIds: z.array(attendeeId, { message: "Choose whose environments to redeploy." }).min(1, "Choose whose environments to redeploy.").max(1000, "Too many attendees at once.") }), role: "facilitator" },
  async ({ input, viewer, rt }) => redeployEnvironments(rt, viewer, input.attendeeIds),
);

export const saveEventAction = defineAction({ input: eventSettingsSchema, role: "facilitator" }, async ({ input, viewer, rt }) =>
  saveEvent(rt.signal, viewer, input),
);

export const helpStatusAction = defineAction(
  { input: z.object({ id: helpId, status: z.enum(["coming", "resolved"], { message: "Unknown help status." }) }), role: "facilitator" },
  async ({ input, viewer, rt }) => {
    updateHelp(rt.signal, viewer, input.id, input.status);
    return { id: input.id };
  },
);

export const helpBundleAction = defineAction({ input: z.object({ id: helpId }), role: "facilitator" }, async ({ input }) => helpBundle(input.id));

export const reconcileAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ viewer, rt }) =>
  summarizeReconciliation(await reconcileNow(rt, viewer)),
);

export const preflightAction = defineAction(
  {
    input: z.object({ attendees: z.coerce.number({ message: attendeesMessage }).int(attendeesMessage).min(0, attendeesMessage).max(10_000, attendeesMessage) }),
    role: "facilitator",
  },
  async ({ input, rt }) => cloudOf(rt).preflight(input.attendees),
  {
    action: "aws-preflight",
    target: (input) => `${input.attendees} attendees`,
    detail: (result) => result.lines.map((l) => `${l.key}=${l.status}`).join(", "),
  },
);

export const createServiceLinkedRoleAction = defineAction(
  { input: z.object({ service: z.enum(["ecs.amazonaws.com", "servicequotas.amazonaws.com"], "The portal creates only the roles the room needs.") }), role: "facilitator" },
  async ({ input, rt }) => cloudOf(rt).createServiceLinkedRole(input.service),
  {
    action: "service-linked-role",
    target: (input) => input.service,
    detail: (result) => `${result.roleName} ${result.created ? "created" : "already existed"}`,
  },
);

const desiredMessage = "Ask for a whole number from 1 to 100000.";

export const requestQuotaIncreaseAction = defineAction(
  {
    input: z.object({
      quotaCode: z.string().regex(/^L-[0-9A-F]{8}$/, "That is not a Service Quotas quota code."),
      desired: z.coerce.number({ message: desiredMessage }).int(desiredMessage).min(1, desiredMessage).max(100_000, desiredMessage),
    }),
    role: "facilitator",
  },
  async ({ input, rt }) => cloudOf(rt).requestQuotaIncrease(input.quotaCode, input.desired),
  {
    action: "quota-increase",
    target: (input) => `${input.quotaCode} to ${input.desired}`,
    detail: (request) => `request ${request.id}: ${request.status}`,
  },
);

export const activateCostAllocationTagAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ rt }) => cloudOf(rt).activateCostAllocationTag(), {
  action: "cost-allocation-tag",
  target: () => "workshop:event",
  detail: (result) => result.status,
});

/** A read the panel repeats every few seconds while the stack changes: not an action to audit. */
export const eventStackStatusAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ rt }) => cloudOf(rt).eventStack());

export const deployEventStackAction = defineAction(
  {
    input: z.object({ requestId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "The deploy request has no valid id; reload the page.") }),
    role: "facilitator",
  },
  async ({ input, rt }) => cloudOf(rt).deployEventStack(input.requestId),
  { action: "event-stack-deploy", detail: stackDetail },
);

export const deleteEventStackAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ rt }) => cloudOf(rt).deleteEventStack(), {
  action: "event-stack-delete",
  detail: stackDetail,
});

/** Uploads docker/ and starts CodeBuild, unless a build runs: then nothing starts and the answer says so. */
export const buildRoomImageAction = defineAction(
  { input: z.void(), role: "facilitator" },
  async ({ rt }) => {
    const result = await imageOf(rt).startBuild();
    rt.imageBuild?.follow(result.build);
    return result;
  },
  { action: "image-build", detail: (r) => `${r.started ? "started" : "not started"}: ${r.build.id}${r.build.pins ? ` (pins-${r.build.pins})` : ""}` },
);

/** A copy of the store now, on this machine and in the host's bucket when there is one (the keeper audits it). */
export const backUpNowAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ viewer, rt }) => {
  const { copy, upload } = await rt.backups.backUpNow(viewer);
  return { name: copy.name, upload };
});

/** Starts the dress rehearsal unless one runs: then nothing starts and the answer says so. */
export const startRehearsalAction = defineAction(
  { input: z.void(), role: "facilitator" },
  async ({ viewer, rt }) => {
    const { started, view, message } = rt.rehearsal.start(viewer.id);
    return { started, message, id: view.id, stackName: view.stackName };
  },
  { action: "rehearsal", detail: (r) => `${r.started ? "started" : "not started"}: ${r.message}` },
);

// ---- attendees: their return codes and sessions (lib/room/attendees.ts audits each)

/** The new code is in this answer only: the store keeps its hash. */
export const reissueReturnCodeAction = defineAction({ input: z.object({ attendeeId }), role: "facilitator" }, async ({ input, viewer, rt }) =>
  reissueReturnCode(rt.signal, viewer, input.attendeeId),
);

export const signOutAttendeeAction = defineAction({ input: z.object({ attendeeId }), role: "facilitator" }, async ({ input, viewer }) => {
  signOutAttendee(viewer, input.attendeeId);
  return { id: input.attendeeId };
});

export const signOutEveryoneAction = defineAction({ input: z.void(), role: "facilitator" }, async ({ viewer }) => signOutEveryone(viewer));

export const removeAttendeeAction = defineAction({ input: z.object({ attendeeId }), role: "facilitator" }, async ({ input, viewer, rt }) =>
  removeAttendee(rt, viewer, input.attendeeId),
);
