import "server-only";
import { secret } from "@/lib/config";
import type { Runtime } from "@/lib/runtime";
import { ContentServer } from "./server";
import { ticketBook } from "./tickets";

// Starts the content origin (server.ts) once per process, for a provider whose dashboards the
// portal proxies (the local one; the AWS one when the portal runs in the event's VPC): started
// with the runtime (instrumentation.ts).

const holder = globalThis as unknown as { [key: symbol]: Promise<ContentServer | null> | undefined };
const serverKey = Symbol.for("dask-workshop.content-server");

export function startContentServer(rt: Runtime): Promise<ContentServer | null> {
  return (holder[serverKey] ??= (async () => {
    const access = rt.provider.dashboardAccess;
    if (access.mode !== "proxied") return null;
    const server = new ContentServer({
      config: rt.config,
      access,
      secrets: () => ({ sessionSecret: secret("NEXTAUTH_SECRET"), joinCode: secret("EVENT_JOIN_CODE") }),
      tickets: ticketBook(),
    });
    try {
      const port = await server.listen();
      console.log(`  Content origin (notebooks and dashboards) ready on port ${port}`);
    } catch (err) {
      console.error(
        `content origin: cannot listen on port ${rt.config.content.port} (${err instanceof Error ? err.message : err}); set PORTAL_CONTENT_PORT to a free port. Notebooks and dashboards cannot be opened until then.`,
      );
      return null;
    }
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => server.close());
    return server;
  })());
}
