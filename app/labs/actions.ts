"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireAttendee } from "@/lib/auth/session";
import { audit, setLabDone } from "@/lib/db/queries";
import type { ActionResult } from "@/lib/errors";
import { runAction } from "@/lib/actions";
import { PortalError } from "@/lib/errors";
import { findLab } from "@/lib/labs";
import { runCheck } from "@/lib/labs/checks";
import { roomChanged } from "@/lib/stream/room-signal";

const markSchema = z.object({ slug: z.string().min(1).max(100), done: z.boolean() });

export async function markLabDone(input: { slug: string; done: boolean }): Promise<ActionResult<{ done: boolean }>> {
  const viewer = await requireAttendee();
  const parsed = markSchema.safeParse(input);
  if (!parsed.success || !findLab(parsed.data.slug)) return { ok: false, error: "No such lab." };
  setLabDone(viewer.id, parsed.data.slug, parsed.data.done);
  audit({
    actorId: viewer.id,
    actorRole: "attendee",
    action: parsed.data.done ? "lab-done" : "lab-undone",
    target: parsed.data.slug,
    result: "ok",
  });
  roomChanged(viewer.id);
  revalidatePath("/labs", "layout");
  return { ok: true, data: { done: parsed.data.done } };
}

export async function checkLabAction(slug: string) {
  return runAction(async (viewer) => {
    if (viewer.role !== "attendee") throw new PortalError("forbidden", "Only attendees have progress to check.");
    const lab = findLab(String(slug));
    if (!lab?.check) throw new PortalError("bad_request", "This lab has no automatic check.");
    return runCheck(viewer.id, lab.slug, lab.check);
  });
}
