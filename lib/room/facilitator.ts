import "server-only";
import { z } from "zod";
import { audit, type Actor } from "@/lib/audit";
import { listLiveEnvironments } from "@/lib/db/queries";
import { createAnnouncement } from "@/lib/db/room-queries";
import { teardownEnvironment, type EnvironmentDeps } from "@/lib/environments";
import { isDeletable } from "@/lib/status";
import type { RoomSignal } from "./signal";

/** Starts deleting every live environment; each one's progress then shows on the roster. */
export async function teardownAll(deps: EnvironmentDeps, actor: Actor) {
  const targets = listLiveEnvironments().filter((e) => isDeletable(e.status));
  const failed: { envId: string; error: string }[] = [];
  for (const env of targets) {
    try {
      await teardownEnvironment(deps, actor, env.id);
    } catch (err) {
      failed.push({ envId: env.id, error: err instanceof Error ? err.message : "failed" });
    }
  }
  audit(actor, "teardown-all", {
    ok: failed.length === 0,
    detail: `${targets.length} environment(s), ${failed.length} failed to start deleting`,
  });
  return { envIds: targets.map((e) => e.id), failed };
}

export const announcementSchema = z
  .string()
  .trim()
  .min(1, "Write a message first.")
  .max(280, "Keep announcements under 280 characters.");

export function announce(signal: RoomSignal, actor: Actor, message: string) {
  const a = createAnnouncement(message);
  audit(actor, "announce", { target: String(a.id), detail: message });
  signal.emit({ kind: "announcement", id: a.id, message: a.message, createdAt: a.createdAt });
  return a;
}
