import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endSessionsOf } from "@/lib/db/attendee-queries";
import { attendee, environmentRow, memoryStorePerTest } from "@/test/support/unit";
import type { ProxyTimeouts } from "./proxy";
import { ContentServer } from "./server";
import { CONTENT_COOKIE, STATE_COOKIE, type ContentSecrets } from "./session";
import { TicketBook } from "./tickets";

// The content origin with a real HTTP server standing in for an environment's JupyterLab on
// its Unix socket: the hand-off, what crosses the proxy and what does not, timeouts, a browser
// that leaves, and WebSockets that end with the attendee's session.

memoryStorePerTest();

const secrets: ContentSecrets = { sessionSecret: "a-secret-for-the-tests-only-0000000000", joinCode: "JOIN-CODE" };

interface Seen {
  headers: http.IncomingHttpHeaders;
  url: string;
}

/** The environment's server: echoes what it was sent, answers slowly or never where asked, and echoes WebSocket bytes. */
function upstream(socketPath: string) {
  const seen: Seen[] = [];
  let abandoned: () => void = () => {};
  const leftAlone = new Promise<void>((resolve) => (abandoned = resolve));
  const server = http.createServer((req, res) => {
    seen.push({ headers: req.headers, url: req.url ?? "" });
    if (req.url?.endsWith("/never")) {
      // The browser leaves: the portal must not keep this request open.
      req.socket.once("close", () => abandoned());
      return;
    }
    res.writeHead(200, {
      "content-type": "application/json",
      "keep-alive": "timeout=5",
      connection: "x-upstream-hop",
      "x-upstream-hop": "1",
      "x-upstream-end": "1",
      "set-cookie": ["next-auth.session-token=planted; Path=/", `${CONTENT_COOKIE}=planted; Path=/`, "_xsrf=fine; Path=/environments/"],
    });
    res.end(JSON.stringify({ ok: true }));
  });
  server.on("upgrade", (req, socket: Duplex) => {
    seen.push({ headers: req.headers, url: req.url ?? "" });
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    // Code in the environment may answer an upgrade with cookies of its own choosing.
    const planted = `Set-Cookie: next-auth.session-token=planted; Path=/\r\nSet-Cookie: ${CONTENT_COOKIE}=planted; Path=/\r\nSet-Cookie: _xsrf=fine; Path=/environments/\r\n`;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${planted}\r\n`);
    socket.on("data", (chunk) => socket.write(chunk));
  });
  return { server, seen, leftAlone, listen: () => new Promise<void>((r) => server.listen(socketPath, r)) };
}

function request(port: number, options: http.RequestOptions & { body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, ...options, headers: { host: `localhost:${port}`, ...options.headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A WebSocket handshake through the content server: the raw socket once upgraded, or the refusal's status. */
function upgrade(port: number, url: string, headers: Record<string, string>): Promise<{ socket?: Duplex; status?: number; headers?: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path: url,
      headers: { host: `localhost:${port}`, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
    });
    req.on("upgrade", (res, socket) => resolve({ socket, headers: res.headers }));
    req.on("response", (res) => resolve({ status: res.statusCode }));
    req.on("error", reject);
    req.end();
  });
}

const cookieFrom = (setCookie: string[] | undefined, name: string) => setCookie?.find((c) => c.startsWith(`${name}=`))?.split(";")[0];

describe("the content origin", () => {
  let dir: string;
  let up: ReturnType<typeof upstream>;
  let server: ContentServer | undefined;
  let port: number;
  let tickets: TicketBook;
  let ada: ReturnType<typeof attendee>;
  let envId: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-content-"));
    up = upstream(path.join(dir, "notebook.sock"));
    await up.listen();
    ada = attendee("Ada");
    envId = environmentRow(ada.id, "dask-ada-aaaaaa").id;
    tickets = new TicketBook();
    await serve();
  });

  /** The content server (again, to try other timeouts), forwarding Ada's environment to the test's server. */
  async function serve(timeouts?: ProxyTimeouts) {
    server?.close();
    server = new ContentServer({
      config: { content: { port: 0, portalPort: 3000 }, publicUrl: undefined },
      access: { target: (env) => (env.id === envId ? { via: "socket", socketPath: path.join(dir, "notebook.sock"), headers: { Authorization: "token the-notebook-token" } } : undefined) },
      secrets: () => secrets,
      tickets,
      timeouts,
    });
    port = await server.listen();
  }

  afterEach(() => {
    server?.close();
    server = undefined;
    up.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The whole hand-off as a browser makes it: the content origin's state, the portal's ticket, the content session. */
  async function signedIn(): Promise<string> {
    const start = await request(port, { path: `/environments/${envId}/notebook/lab`, headers: { "sec-fetch-mode": "navigate" } });
    expect(start.status).toBe(303);
    const back = new URL(start.headers.location!);
    expect(back.origin).toBe("http://localhost:3000");
    expect(back.pathname).toBe(`/environments/${envId}/notebook`);
    expect(back.searchParams.get("path")).toBe(`/environments/${envId}/notebook/lab`);
    const state = cookieFrom(start.headers["set-cookie"], `${STATE_COOKIE}-notebook`)!;
    expect(state.split("=")[1]).toBe(back.searchParams.get("state"));
    const ticket = tickets.issue({ envId, kind: "notebook", viewer: { role: "attendee", id: ada.id, sessionVersion: ada.sessionVersion }, path: `/environments/${envId}/notebook/lab` }, back.searchParams.get("state")!);
    const taken = await request(port, { path: `/environments/${envId}/handoff?ticket=${ticket}`, headers: { cookie: state } });
    expect(taken.status).toBe(303);
    expect(taken.headers.location).toBe(`/environments/${envId}/notebook/lab`);
    const session = cookieFrom(taken.headers["set-cookie"], CONTENT_COOKIE)!;
    expect(taken.headers["set-cookie"]!.find((c) => c.startsWith(`${CONTENT_COOKIE}=`))).toContain(`Path=/environments/${envId}/; HttpOnly; SameSite=Lax`);
    // The ticket is spent: bringing it again is answered like an environment that does not exist.
    const again = await request(port, { path: `/environments/${envId}/handoff?ticket=${ticket}`, headers: { cookie: state } });
    const missing = await request(port, { path: `/environments/cccccccc-0000-4000-8000-00000000000c/handoff?ticket=${ticket}`, headers: { cookie: state } });
    expect([again.status, again.body]).toEqual([missing.status, missing.body]);
    expect(again.status).toBe(404);
    return session;
  }

  it("hands a browser a session for one environment and forwards its requests without the portal's cookies, its own, credentials or hop-by-hop headers", async () => {
    const session = await signedIn();
    const res = await request(port, {
      path: `/environments/${envId}/notebook/api/echo`,
      headers: {
        cookie: `next-auth.session-token=the-portal-session; ${session}; _xsrf=kept`,
        authorization: "Bearer the-browser's-own",
        "proxy-authorization": "Basic x",
        "keep-alive": "timeout=1",
        te: "trailers",
        connection: "keep-alive, x-browser-hop",
        "x-browser-hop": "1",
        "x-portal-peer": "203.0.113.9",
        origin: `http://localhost:${port}`,
      },
    });
    expect(res.status).toBe(200);
    const sent = up.seen.at(-1)!.headers;
    expect(sent.cookie).toBe("_xsrf=kept");
    expect(sent.authorization).toBe("token the-notebook-token");
    for (const name of ["proxy-authorization", "keep-alive", "te", "x-browser-hop", "x-portal-peer"]) expect(sent[name], name).toBeUndefined();
    // JupyterLab sees the browser's own Host and Origin, so its links and checks are the content origin's.
    expect(sent.host).toBe(`localhost:${port}`);
    expect(sent.origin).toBe(`http://localhost:${port}`);
    // And the browser none of the server's hop-by-hop headers, nor a cookie under the portal's names.
    expect(res.headers["x-upstream-hop"]).toBeUndefined();
    expect(res.headers["keep-alive"]).toBeUndefined();
    expect(res.headers["x-upstream-end"]).toBe("1");
    expect(res.headers["set-cookie"]).toEqual(["_xsrf=fine; Path=/environments/"]);
  });

  it("refuses without a session: 401 to a script, the hand-off to a page, and a session of another environment counts for nothing", async () => {
    expect((await request(port, { path: `/environments/${envId}/notebook/api/contents` })).status).toBe(401);
    const other = attendee("Bob");
    const bobsEnv = environmentRow(other.id, "dask-bob-bbbbbb").id;
    const session = await signedIn();
    const res = await request(port, { path: `/environments/${bobsEnv}/notebook/api/contents`, headers: { cookie: session.replace(envId, bobsEnv) } });
    expect(res.status).toBe(401);
    expect((await request(port, { path: "/anything-else" })).status).toBe(404);
  });

  it("refuses a signed-out attendee's requests soon after, though a yes is reused for a moment", async () => {
    const session = await signedIn();
    const path = `/environments/${envId}/notebook/api/echo`;
    expect((await request(port, { path, headers: { cookie: session } })).status).toBe(200);
    endSessionsOf(ada.id);
    let status = 200;
    while (status === 200) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await request(port, { path, headers: { cookie: session } })).status;
    }
    expect(status).toBe(401);
  });

  it("refuses a change asked for by a page of another origin, which the notebook's token would otherwise vouch for", async () => {
    const session = await signedIn();
    const before = up.seen.length;
    const res = await request(port, { method: "POST", path: `/environments/${envId}/notebook/api/kernels`, headers: { cookie: session, origin: "http://localhost:3000" }, body: "{}" });
    expect(res.status).toBe(403);
    expect(up.seen.length).toBe(before);
  });

  it("gives up on a server that does not answer", async () => {
    await serve({ upstreamMs: 300, upgradeMs: 300 });
    const session = await signedIn();
    const timedOut = await request(port, { path: `/environments/${envId}/notebook/never`, headers: { cookie: session } });
    expect(timedOut.status).toBe(504);
    expect(JSON.parse(timedOut.body)).toEqual({ error: "The environment's server took too long to answer." });
  });

  it("lets go of the server's request as soon as the browser leaves (the default timeout is minutes away)", async () => {
    const session = await signedIn();
    const left = http.request({ host: "127.0.0.1", port, path: `/environments/${envId}/notebook/never-again/never`, headers: { host: `localhost:${port}`, cookie: session } });
    left.on("error", () => undefined);
    left.end();
    await new Promise((r) => setTimeout(r, 100));
    left.destroy();
    await up.leftAlone;
  });

  it("authorises a WebSocket when it opens, and closes it once the attendee is signed out", async () => {
    expect((await upgrade(port, `/environments/${envId}/notebook/api/kernels/k/channels`, {})).status).toBe(401);
    const session = await signedIn();
    expect((await upgrade(port, `/environments/${envId}/notebook/api/kernels/k/channels`, { cookie: session, origin: "http://elsewhere.example" })).status).toBe(403);
    const { socket, headers } = await upgrade(port, `/environments/${envId}/notebook/api/kernels/k/channels`, { cookie: session, origin: `http://localhost:${port}` });
    expect(up.seen.at(-1)!.headers.cookie).toBeUndefined();
    // The environment's answer to the upgrade sets none of the portal's cookies; its own pass.
    expect(headers!["set-cookie"]).toEqual(["_xsrf=fine; Path=/environments/"]);
    const echoed = new Promise<string>((resolve) => socket!.once("data", (d: Buffer) => resolve(d.toString())));
    socket!.write("ping");
    expect(await echoed).toBe("ping");
    const closed = new Promise((resolve) => socket!.once("close", resolve));
    endSessionsOf(ada.id);
    await closed;
    expect((await upgrade(port, `/environments/${envId}/notebook/api/kernels/k/channels`, { cookie: session })).status).toBe(401);
  });

  it("forwards to an environment's socket only while it is the socket itself: a link its code put in its place reaches nothing", async () => {
    const session = await signedIn();
    const elsewhere = upstream(path.join(dir, "another-environment.sock"));
    await elsewhere.listen();
    try {
      up.server.close();
      fs.rmSync(path.join(dir, "notebook.sock"), { force: true });
      fs.symlinkSync(path.join(dir, "another-environment.sock"), path.join(dir, "notebook.sock"));
      const page = await request(port, { path: `/environments/${envId}/notebook/api/status`, headers: { cookie: session } });
      expect(page.status).toBe(502);
      const ws = await upgrade(port, `/environments/${envId}/notebook/api/kernels/k/channels`, { cookie: session, origin: `http://localhost:${port}` }).catch(() => ({ socket: undefined }));
      expect(ws.socket).toBeUndefined();
      expect(elsewhere.seen).toEqual([]);
    } finally {
      elsewhere.server.close();
    }
  });
});
