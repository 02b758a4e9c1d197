import "server-only";
import http from "node:http";
import { z } from "zod";
import { isOwnSocket } from "./box";

// The portal's own questions to an environment's servers, over the Unix sockets they listen on
// (their network namespace has no other way in): is the scheduler up, which workers has it
// registered, does JupyterLab answer.

const identitySchema = z.object({
  workers: z.record(z.string(), z.object({ name: z.union([z.string(), z.number()]) })),
});

const TIMEOUT_MS = 1500;

/** A GET over a Unix socket: the status and body, or null when nothing answers in time. */
export function getOverSocket(
  socketPath: string,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = TIMEOUT_MS,
): Promise<{ status: number; body: string } | null> {
  // The socket's folder is shared with the sandbox: a link planted there is never followed.
  if (!isOwnSocket(socketPath)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path, headers, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve(null));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

/** True when the scheduler's HTTP server answers its health check (`base` is its dashboard prefix). */
export async function schedulerAnswers(socketPath: string, base: string): Promise<boolean> {
  return (await getOverSocket(socketPath, `${base}/health`))?.status === 200;
}

/** Names of the workers the scheduler has registered: readiness comes from the scheduler, not from process start. */
export async function registeredWorkers(socketPath: string, base: string): Promise<Set<string> | null> {
  const res = await getOverSocket(socketPath, `${base}/json/identity.json`);
  if (res?.status !== 200) return null;
  try {
    const identity = identitySchema.parse(JSON.parse(res.body));
    return new Set(Object.values(identity.workers).map((w) => String(w.name)));
  } catch {
    return null;
  }
}

/** True once JupyterLab answers with the token it was started with. */
export async function jupyterAnswers(socketPath: string, base: string, token: string): Promise<boolean> {
  return (await getOverSocket(socketPath, `${base}/api/status`, { Authorization: `token ${token}` }))?.status === 200;
}
