import "server-only";
import { dbStatus } from "@/lib/db";
import type { Runtime } from "@/lib/runtime";

// /api/health answers from what the portal already holds: the database answers a SELECT 1,
// the runtime has started, and the provider's backend as its own pollers last found it.
// It asks no backend anything, so anyone may load it as often as they like (the e2e harness
// and a load balancer do). Anyone gets status words; only the facilitator gets the messages,
// which may name a file, an endpoint, an AWS account or a role.

export interface HealthWords {
  status: "ok" | "degraded" | "error";
  database: "ok" | "unreachable";
  runtime: "started" | "starting";
  provider: "ok" | "degraded" | "unknown";
}

export interface HealthDetails extends HealthWords {
  details: { provider: string; backend: string; checkedAt?: string; database?: string };
}

/** The answer to /api/health: 503 only when the database is unreachable, as then nothing works. */
export function healthResponse(rt: Runtime, detailed: boolean): Response {
  const db = dbStatus();
  const backend = rt.provider.lastKnownHealth();
  const words: HealthWords = {
    status: db !== "ok" ? "error" : backend.state === "degraded" ? "degraded" : "ok",
    database: db === "ok" ? "ok" : "unreachable",
    runtime: rt.running ? "started" : "starting",
    provider: backend.state,
  };
  const body: HealthWords | HealthDetails = detailed
    ? {
        ...words,
        details: { provider: rt.provider.name, backend: backend.message, checkedAt: backend.at, ...(db === "ok" ? {} : { database: db }) },
      }
    : words;
  return Response.json(body, { status: db === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
