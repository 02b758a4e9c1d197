"use server";

import { z } from "zod";
import { runAction } from "@/lib/actions";
import { scaleEnvironment, teardownEnvironment } from "@/lib/environments";
import { reconcileNow, summarizeReconciliation } from "@/lib/environments/reconcile-now";
import { PortalError } from "@/lib/errors";
import { announce, requireFacilitatorRole, saveEvent, teardownAll } from "@/lib/room/facilitator";
import { helpBundle, updateHelp } from "@/lib/room/help";

const idSchema = z.string().min(1).max(64);

function envId(raw: unknown): string {
  const parsed = idSchema.safeParse(raw);
  if (!parsed.success) throw new PortalError("not_found", "Environment not found.");
  return parsed.data;
}

export async function teardownOneAction(id: string) {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    await teardownEnvironment(viewer, envId(id));
    return { id };
  });
}

export async function scaleToZeroAction(id: string) {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    return { workers: await scaleEnvironment(viewer, envId(id), 0) };
  });
}

export async function teardownAllAction() {
  return runAction((viewer) => teardownAll(viewer));
}

export async function announceAction(message: string) {
  return runAction(async (viewer) => {
    const a = announce(viewer, message);
    return { id: a.id };
  });
}

export async function saveEventAction(input: { name: string; startsAt: string; endsAt: string }) {
  return runAction(async (viewer) => saveEvent(viewer, input));
}

const helpIdSchema = z.coerce.number().int().positive();

export async function helpStatusAction(id: number, status: "coming" | "resolved") {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    const parsedId = helpIdSchema.safeParse(id);
    const parsedStatus = z.enum(["coming", "resolved"]).safeParse(status);
    if (!parsedId.success || !parsedStatus.success) throw new PortalError("bad_request", "Unknown help request.");
    updateHelp(viewer.id, parsedId.data, parsedStatus.data);
    return { id: parsedId.data };
  });
}

export async function helpBundleAction(id: number) {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    const parsed = helpIdSchema.safeParse(id);
    if (!parsed.success) throw new PortalError("bad_request", "Unknown help request.");
    return helpBundle(parsed.data);
  });
}

export async function reconcileAction() {
  return runAction(async (viewer) => summarizeReconciliation(await reconcileNow(viewer)));
}
