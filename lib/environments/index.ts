import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { audit, audited, type Actor, type AuditAction } from "@/lib/audit";
import { requireRole } from "@/lib/auth/roles";
import { createEnvironmentOnce, getEnvironment, liveEnvironmentOf, providerRef, updateEnvironment } from "@/lib/db/environment-queries";
import { getAttendee } from "@/lib/db/attendee-queries";
import { getEventSettings } from "@/lib/db/room-queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { PortalError, toPortalError } from "@/lib/errors";
import { type Provider, environmentId } from "@/lib/providers/contract";
import { assertDeploysOpen } from "@/lib/room/limits";
import { blocksRedeploy, isDeleting, isScalable } from "@/lib/status";
import type { Watchers } from "./watchers";

// The commands on an attendee's environment: deploy, scale, tear down. Each checks who
// asks, acts through the provider, records the outcome in the audit log and wakes the
// environment's stream so every open page follows the change.

/** What the commands act through: the provider, and the watchers whose streams show the result. */
export interface EnvironmentDeps {
  provider: Provider;
  watchers: Watchers;
}

/** A CloudFormation-valid stack name that says whose it is: dask-<name>-<random>. */
export function stackNameFor(name: string): string {
  const slug =
    name
      .normalize("NFKD")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 24)
      .replace(/-+$/, "") || "attendee";
  return `dask-${slug}-${randomBytes(3).toString("hex")}`;
}

/** The environment, if the actor may see it; otherwise "not found", with no hint that it exists. */
export function environmentFor(actor: Actor, envId: string): EnvironmentRow {
  const row = environmentId.test(envId) ? getEnvironment(envId) : undefined;
  if (!row || (actor.role === "attendee" && row.attendeeId !== actor.id)) {
    throw new PortalError("not_found", "Environment not found.");
  }
  return row;
}

/** Deploys the attendee's environment once: a double click or a second tab gets the same one. */
export async function deployEnvironment(deps: EnvironmentDeps, actor: Actor): Promise<EnvironmentRow> {
  requireRole(actor, "attendee");
  const attendee = getAttendee(actor.id);
  if (!attendee) throw new PortalError("unauthorized", "Sign in again.");
  try {
    // Only the event's times are read here, so its display name does not matter.
    assertDeploysOpen(getEventSettings(""));
  } catch (error) {
    audit(actor, "deploy", { ok: false, detail: toPortalError(error).message });
    throw error;
  }
  const { provider } = deps;
  const existing = liveEnvironmentOf(attendee.id);
  if (!existing) {
    try {
      // A machine that cannot hold one more environment says so before anything is made.
      provider.capacity?.admit(provider.defaultWorkers);
      // …and so does a provider that cannot deploy yet (the AWS provider: no image for the room).
      await provider.admitDeploy?.();
    } catch (error) {
      const refused = toPortalError(error);
      audit(actor, "deploy", { ok: false, detail: refused.message });
      throw refused;
    }
  }
  const { row, created } = createEnvironmentOnce({
    attendeeId: attendee.id,
    provider: provider.name,
    stackName: stackNameFor(attendee.name),
    desiredWorkers: provider.defaultWorkers,
  });
  if (!created) {
    if (blocksRedeploy(row.status)) throw new PortalError("conflict", "Your last environment failed. Delete it first, then deploy again.");
    // One environment per attendee: a new one waits until the old one is gone.
    if (isDeleting(row.status)) throw new PortalError("conflict", "Your environment is still being deleted; deploy again once it is gone.");
    return row;
  }
  try {
    await audited(actor, "deploy", row.id, () => provider.deploy(providerRef(row), { workers: provider.defaultWorkers }), () => row.stackName);
  } catch (error) {
    // Nothing half-made is left looking alive: the row says why, and "delete" clears it.
    // (audited has made the failure the one a person may see.)
    updateEnvironment(row.id, { status: "CREATE_FAILED", statusReason: toPortalError(error).message });
    throw error;
  } finally {
    deps.watchers.watch(row).wake();
  }
  return row;
}

/** A worker count as typed in a form or sent by a script: digits only (an empty field is not 0). */
export function workersSchema(max: number) {
  const message = `Enter a whole number of workers from 0 to ${max}.`;
  return z.preprocess(
    (v) => (typeof v === "string" ? (/^\s*\d{1,6}\s*$/.test(v) ? Number(v) : Number.NaN) : v),
    z.number({ message }).int(message).min(0, message).max(max, message),
  );
}

/** Sets the number of workers (0 to the provider's maximum); returns it. */
export async function scaleEnvironment(deps: EnvironmentDeps, actor: Actor, envId: string, workers: unknown): Promise<number> {
  const row = environmentFor(actor, envId);
  const { provider } = deps;
  return audited(
    actor,
    "scale",
    row.id,
    async () => {
      const parsed = workersSchema(provider.maxWorkers).safeParse(workers);
      if (!parsed.success) throw new PortalError("bad_request", parsed.error.issues[0].message);
      if (row.deletedAt || !isScalable(row.status)) throw new PortalError("conflict", "This environment is not running; deploy one first.");
      await provider.scale(providerRef(row), parsed.data);
      deps.watchers.watch(row).wake();
      return parsed.data;
    },
    (n) => `workers=${n}`,
  );
}

const whoTearsDown: Record<Actor["role"], string> = {
  attendee: "its owner",
  facilitator: "the facilitator",
  system: "the portal at the end of the event",
};

/** Starts deleting the environment; harmless when it is already gone or going. */
export async function teardownEnvironment(
  deps: EnvironmentDeps,
  actor: Actor,
  envId: string,
  action: Extract<AuditAction, "teardown" | "event-end-teardown"> = "teardown",
): Promise<void> {
  const row = environmentFor(actor, envId);
  if (row.deletedAt) return;
  const by = whoTearsDown[actor.role];
  await audited(actor, action, row.id, () => deps.provider.destroy(providerRef(row), by), (outcome) =>
    outcome?.revokedAddresses ? `${row.stackName}; removed ${outcome.revokedAddresses} dashboard address rule(s) first` : row.stackName,
  );
  // The store says so at once (the stream confirms it on its next poll), so a second
  // tear-down, or the event's end, does not ask again.
  updateEnvironment(row.id, { status: "DELETE_IN_PROGRESS", statusReason: `User Initiated by ${by}` });
  deps.watchers.watch(row).wake();
}

