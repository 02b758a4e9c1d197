import "server-only";
import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { audit, audited, type AuditAction } from "@/lib/audit";
import { requireRole, requireViewer, type Role, type Viewer } from "@/lib/auth/session";
import { touchAttendee } from "@/lib/db/attendee-queries";
import { PortalError, toPortalError, type ActionResult } from "@/lib/errors";
import { ready, type Runtime } from "@/lib/runtime";

// Every server action is made with defineAction: it parses the input with the action's
// zod schema, checks who is asking, records the action in the audit log, and turns any
// failure into a typed result the form shows. The action's body holds only what it does.

export interface ActionSpec<S extends z.ZodType> {
  /** The input, as the browser may send anything. */
  input: S;
  /** Who may run it; any signed-in viewer when unset. */
  role?: Role;
}

/** The audit entry an action writes, ok or error (refused input included). */
export interface AuditSpec<S extends z.ZodType, T> {
  action: AuditAction | ((input: z.infer<S>) => AuditAction);
  target?: (input: z.infer<S>) => string | undefined;
  detail?: (data: T, input: z.infer<S>) => string | undefined;
}

export interface ActionContext<I> {
  input: I;
  viewer: Viewer;
  rt: Runtime;
}

type Body<S extends z.ZodType, T> = (ctx: ActionContext<z.infer<S>>) => Promise<T>;

function invalid(error: z.ZodError): ActionResult<never> {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = issue.path.join(".") || "input";
    (fieldErrors[field] ??= []).push(issue.message);
  }
  return { ok: false, error: error.issues[0]?.message ?? "Check the form and try again.", fieldErrors };
}

/**
 * One action run for a known viewer: the part of defineAction that needs no request,
 * so tests can drive it directly.
 */
export async function runAction<S extends z.ZodType, T>(
  spec: ActionSpec<S> & { audit?: AuditSpec<S, T> },
  body: Body<S, T>,
  viewer: Viewer,
  raw: unknown,
  rt: () => Promise<Runtime> = ready,
): Promise<ActionResult<T>> {
  const actor = { id: viewer.id, role: viewer.role };
  try {
    requireRole(viewer, spec.role);
    // Inside the try: a schema's refinement may itself fail (a lab check reads files), and
    // that must reach the browser as a message, not as a 500.
    const parsed = spec.input.safeParse(raw);
    if (!parsed.success) {
      const action = spec.audit?.action;
      if (typeof action === "string") audit(actor, action, { ok: false, detail: `refused: ${parsed.error.issues[0]?.message}` });
      return invalid(parsed.error);
    }
    const input = parsed.data;
    const runtime = await rt();
    const work = () => body({ input, viewer, rt: runtime });
    const entry = spec.audit;
    const data = entry
      ? await audited(
          actor,
          typeof entry.action === "function" ? entry.action(input) : entry.action,
          entry.target?.(input),
          work,
          (result) => entry.detail?.(result, input),
        )
      : await work();
    if (viewer.role === "attendee") {
      touchAttendee(viewer.id);
      runtime.signal.attendeeChanged(viewer.id);
    }
    return { ok: true, data };
  } catch (err) {
    unstable_rethrow(err);
    return { ok: false, error: toPortalError(err).message };
  }
}

/**
 * A server action, in a "use server" file:
 * `export const scaleAction = defineAction({ input, role }, async ({ input, viewer, rt }) => …, { action: "scale" })`.
 * The browser calls it with one argument, the input.
 */
export function defineAction<S extends z.ZodType, T>(spec: ActionSpec<S>, body: Body<S, T>, audit?: AuditSpec<S, T>) {
  return async (raw: z.input<S>): Promise<ActionResult<T>> => {
    let viewer: Viewer;
    try {
      viewer = await requireViewer();
    } catch (err) {
      unstable_rethrow(err);
      return { ok: false, error: PortalError.is(err) ? err.message : "Sign in first." };
    }
    return runAction({ ...spec, audit }, body, viewer, raw);
  };
}
