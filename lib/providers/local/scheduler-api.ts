import "server-only";
import { z } from "zod";

const identitySchema = z.object({
  workers: z.record(z.string(), z.object({ name: z.union([z.string(), z.number()]) })),
});

async function getJson(url: string, timeoutMs = 1500): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), cache: "no-store" });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/** True when the scheduler's HTTP server answers its health check. */
export async function schedulerAnswers(dashboardUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${dashboardUrl}/health`, { signal: AbortSignal.timeout(1500), cache: "no-store" });
    return res.ok;
  } catch {
    return false;
  }
}

/** Names of the workers the scheduler has registered: readiness comes from the scheduler, not from process start. */
export async function registeredWorkers(dashboardUrl: string): Promise<Set<string> | null> {
  try {
    const identity = identitySchema.parse(await getJson(`${dashboardUrl}/json/identity.json`));
    return new Set(Object.values(identity.workers).map((w) => String(w.name)));
  } catch {
    return null;
  }
}

/** True once JupyterLab answers with the token it was started with. */
export async function jupyterAnswers(baseUrl: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/api/status`, {
      headers: { Authorization: `token ${token}` },
      signal: AbortSignal.timeout(1500),
      cache: "no-store",
    });
    return res.ok;
  } catch {
    return false;
  }
}
