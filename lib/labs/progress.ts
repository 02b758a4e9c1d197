import "server-only";
import { z } from "zod";
import type { ActionContext, ActionSpec, AuditSpec } from "@/lib/actions";
import { setLabDone } from "@/lib/db/lab-queries";
import { findLab } from "./index";

// An attendee marks a lab done or not done. The action (app/(attendee)/actions.ts) is this
// spec and body given to defineAction, so the browser's input is parsed, the role checked and
// the change audited there, and a test can run the same spec and body through runAction.

/** A lab that exists; anything else (a path, a number, a long string) is "No such lab.". */
export const labSlugSchema = z
  .string()
  .max(100, "No such lab.")
  .refine((slug) => findLab(slug) !== undefined, "No such lab.");

const labDoneInput = z.object({ slug: labSlugSchema, done: z.boolean({ message: "Say whether the lab is done." }) });
type LabDoneInput = z.infer<typeof labDoneInput>;

export const labDoneSpec = { input: labDoneInput, role: "attendee" } satisfies ActionSpec<typeof labDoneInput>;

export const labDoneAudit: AuditSpec<typeof labDoneInput, { done: boolean }> = {
  action: (input) => (input.done ? "lab-done" : "lab-undone"),
  target: (input) => input.slug,
};

export async function markLabDone({ input, viewer }: ActionContext<LabDoneInput>): Promise<{ done: boolean }> {
  setLabDone(viewer.id, input.slug, input.done);
  return { done: input.done };
}
