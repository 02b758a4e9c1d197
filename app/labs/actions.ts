"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireAttendee } from "@/lib/auth/session";
import { audit, setLabDone } from "@/lib/db/queries";
import type { ActionResult } from "@/lib/errors";
import { findLab } from "@/lib/labs";

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
  revalidatePath("/labs", "layout");
  return { ok: true, data: { done: parsed.data.done } };
}
