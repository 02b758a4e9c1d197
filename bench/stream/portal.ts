// The portal's stream logic for the benchmark, in its own process so its memory and
// CPU can be measured: the portal's runtime (lib/runtime.ts: the provider chosen by
// PORTAL_PROVIDER, the stream watchers, the facilitator's room stream) and the SSE encoder the
// routes use, behind a bare HTTP server without sign-in. Run by bench/stream/run.mjs:
//   node --import ./bench/stream/next-server-modules.mjs --conditions=react-server --import tsx \
//     bench/stream/portal.ts   (prints {"url"})
import http from "node:http";
import { Readable } from "node:stream";
import { createEnvironmentOnce, getEnvironment, providerRef } from "@/lib/db/environment-queries";
import { upsertAttendee } from "@/test/support/seed";
import { ready, runtime } from "@/lib/runtime";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

const { provider, watchers, room, openStreams } = runtime();
// Each benchmark viewer is its own person: the per-person stream cap never binds here.
let viewers = 0;
const viewer = () => ({ owner: `bench:${++viewers}`, open: openStreams });
let cpuAt = { usage: process.cpuUsage(), wall: process.hrtime.bigint() };

async function send(res: http.ServerResponse, response: Response) {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return res.end();
  Readable.fromWeb(response.body as never).pipe(res);
}

function json(res: http.ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

async function deploy(name: string) {
  const attendee = upsertAttendee({ email: `${name}@bench.example.org`, name });
  const { row } = createEnvironmentOnce({ attendeeId: attendee.id, provider: provider.name, stackName: `dask-${name}`, desiredWorkers: 2 });
  await provider.deploy(providerRef(row), { workers: 2 });
  // As the portal's deploy action does: the stream follows the stack while it changes.
  watchers.watch(row).wake();
  return row;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://portal");
  const route = url.pathname.split("/").filter(Boolean);
  void (async () => {
    if (req.method === "POST" && route[0] === "environments") return json(res, 200, await deploy(String(url.searchParams.get("name"))));
    if (req.method === "DELETE" && route[0] === "environments") {
      const row = getEnvironment(route[1]);
      if (row) await provider.destroy(providerRef(row), "bench");
      return json(res, 200, { ok: true });
    }
    if (route[0] === "environments" && route[2] === "snapshot") {
      const row = getEnvironment(route[1]);
      return json(res, row ? 200 : 404, row ? await watchers.watch(row).pollNow() : null);
    }
    if (route[0] === "environments" && route[2] === "events") {
      await ready();
      const row = getEnvironment(route[1]);
      if (!row) return json(res, 404, { error: "no such environment" });
      const abort = new AbortController();
      req.on("close", () => abort.abort());
      const request = new Request(`http://portal${req.url}`, { signal: abort.signal });
      const lastEventId = parseLastEventId(String(req.headers["last-event-id"] ?? "") || null);
      return send(res, sseResponse(request, { ...viewer(), subscribe: (sink) => watchers.watch(row).subscribe(sink, lastEventId) }));
    }
    if (route[0] === "facilitator" && route[1] === "events") {
      await ready();
      const abort = new AbortController();
      req.on("close", () => abort.abort());
      const request = new Request(`http://portal${req.url}`, { signal: abort.signal });
      const lastEventId = parseLastEventId(String(req.headers["last-event-id"] ?? "") || null);
      return send(res, sseResponse(request, { ...viewer(), subscribe: (sink) => room.subscribe(sink, lastEventId) }));
    }
    if (route[0] === "stats") {
      const now = { usage: process.cpuUsage(), wall: process.hrtime.bigint() };
      const cpuMs = (now.usage.user + now.usage.system - cpuAt.usage.user - cpuAt.usage.system) / 1000;
      const wallMs = Number(now.wall - cpuAt.wall) / 1e6;
      if (url.searchParams.has("reset")) cpuAt = now;
      return json(res, 200, { rssBytes: process.memoryUsage().rss, cpuShare: cpuMs / wallMs });
    }
    json(res, 404, { error: "unknown route" });
  })().catch((error: unknown) => json(res, 500, { error: String(error) }));
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
// Open SSE connections would hold close() forever; a restart drops them, as a real one does.
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
