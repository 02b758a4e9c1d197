import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Viewer } from "@/lib/auth/session";
import { audit, createEnvironmentOnce, getAttendee, getEnvironment, updateEnvironment } from "@/lib/db/queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { PortalError } from "@/lib/errors";
import { getProvider } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/types";
import { getHub, toRef } from "@/lib/stream/hub";

const FAILED = new Set(["CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"]);

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

/** The environment, if the viewer may see it; otherwise "not found", with no hint that it exists. */
export function environmentFor(viewer: Viewer, envId: string): EnvironmentRow {
  const row = /^[0-9a-f-]{36}$/.test(envId) ? getEnvironment(envId) : undefined;
  if (!row || (viewer.role !== "facilitator" && row.attendeeId !== viewer.id)) {
    throw new PortalError("not_found", "Environment not found.");
  }
  return row;
}

function record(viewer: Viewer, action: string, target: string, result: "ok" | "error", detail?: string) {
  audit({ actorId: viewer.id, actorRole: viewer.role, action, target, result, detail });
}

function asPortalError(err: unknown): PortalError {
  if (err instanceof PortalError) return err;
  if (err instanceof ProviderError) {
    return new PortalError(err.code === "bad_request" || err.code === "not_found" ? err.code : "unavailable", err.message);
  }
  console.error("environment action failed:", err instanceof Error ? err.message : err);
  return new PortalError("unavailable", "The environment backend did not respond. Try again in a moment.");
}

/** Deploys the attendee's environment once: a double click or a second tab gets the same one. */
export async function deployEnvironment(viewer: Viewer): Promise<EnvironmentRow> {
  if (viewer.role !== "attendee") throw new PortalError("forbidden", "Only attendees deploy environments.");
  const attendee = getAttendee(viewer.id);
  if (!attendee) throw new PortalError("unauthorized", "Sign in again.");
  const provider = getProvider();
  const { row, created } = createEnvironmentOnce({
    attendeeId: attendee.id,
    provider: provider.name,
    stackName: stackNameFor(attendee.name),
    desiredWorkers: provider.defaultWorkers,
  });
  if (!created) {
    if (FAILED.has(row.status)) {
      throw new PortalError("conflict", "Your last environment failed. Delete it first, then deploy again.");
    }
    return row;
  }
  try {
    await provider.deploy(toRef(row), { workers: provider.defaultWorkers });
    record(viewer, "deploy", row.id, "ok", row.stackName);
  } catch (err) {
    const error = asPortalError(err);
    updateEnvironment(row.id, { status: "CREATE_FAILED", statusReason: error.message });
    record(viewer, "deploy", row.id, "error", error.message);
    throw error;
  } finally {
    getHub().stream(row).wake();
  }
  return row;
}

export const workersSchema = (max: number) =>
  z.coerce
    .number({ message: `Enter a whole number of workers from 0 to ${max}.` })
    .refine((n) => Number.isInteger(n) && n >= 0 && n <= max, `Enter a whole number of workers from 0 to ${max}.`);

export async function scaleEnvironment(viewer: Viewer, envId: string, workers: unknown): Promise<number> {
  const row = environmentFor(viewer, envId);
  const provider = getProvider();
  const parsed = workersSchema(provider.maxWorkers).safeParse(workers);
  if (!parsed.success) {
    record(viewer, "scale", row.id, "error", "invalid worker count");
    throw new PortalError("bad_request", parsed.error.issues[0].message);
  }
  if (row.deletedAt || row.status.startsWith("DELETE") || FAILED.has(row.status)) {
    throw new PortalError("conflict", "This environment is not running; deploy one first.");
  }
  try {
    await provider.scale(toRef(row), parsed.data);
  } catch (err) {
    const error = asPortalError(err);
    record(viewer, "scale", row.id, "error", error.message);
    throw error;
  }
  record(viewer, "scale", row.id, "ok", `workers=${parsed.data}`);
  getHub().stream(row).wake();
  return parsed.data;
}

export async function teardownEnvironment(viewer: Viewer, envId: string): Promise<void> {
  const row = environmentFor(viewer, envId);
  if (row.deletedAt) return;
  const by = viewer.role === "facilitator" ? "the facilitator" : "its owner";
  try {
    await getProvider().destroy(toRef(row), by);
  } catch (err) {
    const error = asPortalError(err);
    record(viewer, "teardown", row.id, "error", error.message);
    throw error;
  }
  record(viewer, "teardown", row.id, "ok", row.stackName);
  getHub().stream(row).wake();
}
