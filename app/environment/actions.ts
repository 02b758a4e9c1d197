"use server";

import { z } from "zod";
import { runAction } from "@/lib/actions";
import { deployEnvironment, scaleEnvironment, teardownEnvironment } from "@/lib/environments";
import { PortalError } from "@/lib/errors";

const envIdSchema = z.string().min(1).max(64);

function parseEnvId(value: unknown): string {
  const parsed = envIdSchema.safeParse(value);
  if (!parsed.success) throw new PortalError("not_found", "Environment not found.");
  return parsed.data;
}

export async function deployAction() {
  return runAction(async (viewer) => {
    const row = await deployEnvironment(viewer);
    return { id: row.id };
  });
}

export async function scaleAction(envId: string, workers: unknown) {
  return runAction(async (viewer) => ({ workers: await scaleEnvironment(viewer, parseEnvId(envId), workers) }));
}

export async function teardownAction(envId: string) {
  return runAction(async (viewer) => {
    await teardownEnvironment(viewer, parseEnvId(envId));
    return { id: envId };
  });
}
