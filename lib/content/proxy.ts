import "server-only";
import fs from "node:fs";
import http from "node:http";
import type { Duplex } from "node:stream";
// http-proxy-3 rather than http-proxy-middleware or httpxy: it is the maintained TypeScript
// rewrite of node-http-proxy that Vite's dev server moved to, written by a team that serves
// Jupyter through it (CoCalc); it proxies to a Unix socket (`target.socketPath`), aborts the
// upstream request when the browser goes (`res` "close"), has an upstream timeout
// (`proxyTimeout`), and its WebSocket path cleans up both sockets when either side ends. Its
// 1.x line still supports Node 20 (2.x needs Node 22). http-proxy-middleware is an Express-style
// wrapper we would not use; httpxy follows node-http-proxy more closely, WebSocket fixes included.
import { createProxyServer } from "http-proxy-3";
import type { ProxyTarget } from "@/lib/providers/contract";
import { CONTENT_COOKIE, STATE_COOKIE } from "./session";

// Forwards a viewer's request to an environment's JupyterLab or Dask dashboard (on its Unix
// socket, or at its private address in the VPC) once the content server has decided it may (server.ts). It drops what must not
// cross: hop-by-hop headers both ways, the portal's and the content origin's own cookies, any
// credentials the browser sent (the notebook's token is added here and never reaches the
// browser), and cookies an environment would set under the portal's names.

/** An upstream that has not answered (or, for a WebSocket, accepted the upgrade) within this long is given up. */
export interface ProxyTimeouts {
  /** No byte from the server for this long: a slow kernel start or notebook save takes seconds, not minutes. */
  upstreamMs: number;
  upgradeMs: number;
}

export const DEFAULT_TIMEOUTS: ProxyTimeouts = { upstreamMs: 120_000, upgradeMs: 30_000 };

/** Hop-by-hop headers (RFC 9110 §7.6.1, and the older Keep-Alive and Proxy-Connection); those a Connection header lists go too. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"];

/** What the browser may send for itself only: credentials, and what the portal adds or reads. */
const NEVER_FORWARDED = ["authorization", "x-portal-peer"];

/** Cookies that belong to the portal or to the content origin itself, never to an environment's server. */
const ownCookie = new RegExp(`^\\s*((__Secure-|__Host-)?next-auth\\.[^=]*|${CONTENT_COOKIE}|${STATE_COOKIE}(-[a-z]+)?)=`);

/** The header names a Connection header lists: hop-by-hop too. */
function connectionTokens(value: string | string[] | number | undefined): string[] {
  return String(value ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

/** Removes hop-by-hop headers in place. */
export function dropHopByHop(headers: http.IncomingHttpHeaders): void {
  for (const name of [...HOP_BY_HOP, ...connectionTokens(headers.connection)]) delete headers[name];
}

/** A Cookie header without the portal's and the content origin's own cookies (most requests carry none of them, or all). */
function withoutOwnCookies(cookie: string): string {
  return cookie
    .split(";")
    .filter((c) => c.trim() && !ownCookie.test(c))
    .map((c) => c.trim())
    .join("; ");
}

/**
 * The request's headers as the environment's server should get them, made in one pass (http-proxy-3
 * copies them from the request). For an upgrade, Connection and Upgrade stay: the upgrade needs them.
 */
export function forUpstream(req: http.IncomingMessage, upgrade: boolean): void {
  const dropped = new Set([...HOP_BY_HOP, ...connectionTokens(req.headers.connection), ...NEVER_FORWARDED]);
  if (upgrade) for (const name of ["connection", "upgrade"]) dropped.delete(name);
  const kept: http.IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || dropped.has(name) || name.startsWith("x-portal-")) continue;
    if (name !== "cookie") kept[name] = value;
    else {
      const cookie = withoutOwnCookies(value as string);
      if (cookie) kept.cookie = cookie;
    }
  }
  req.headers = kept;
}

/** The upstream's response headers as the browser should get them. */
export function forBrowser(headers: http.IncomingHttpHeaders): void {
  dropHopByHop(headers);
  withoutPortalCookies(headers);
}

/** Drops what the upstream would set of the portal's own cookies (its session, the content session). */
function withoutPortalCookies(headers: http.IncomingHttpHeaders): void {
  const setCookie = headers["set-cookie"]?.filter((c) => !ownCookie.test(c));
  if (setCookie?.length) headers["set-cookie"] = setCookie;
  else delete headers["set-cookie"];
}

const json = (res: http.ServerResponse, status: number, error: string) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ error }));
};

/**
 * A socket target is used only while it is a socket itself: the folder it is in is shared with
 * the environment's sandbox, whose code could put a link to another environment's server there.
 */
function reachable(target: ProxyTarget): boolean {
  if (target.via !== "socket") return true;
  try {
    return fs.lstatSync(target.socketPath).isSocket();
  } catch {
    return false;
  }
}

/** The proxy the content server forwards through (one per server; its keep-alive pool is per socket path or address). */
export class EnvironmentProxy {
  private readonly proxy;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** Requests whose upstream did not answer in time. */
  private readonly timedOut = new WeakSet<http.IncomingMessage>();

  constructor(timeouts: ProxyTimeouts = DEFAULT_TIMEOUTS) {
    this.proxy = createProxyServer({ xfwd: false, changeOrigin: false, proxyTimeout: timeouts.upstreamMs });
    this.proxy.on("proxyReq", (proxyReq, req) => proxyReq.once("timeout", () => this.timedOut.add(req)));
    this.proxy.on("proxyRes", (proxyRes) => forBrowser(proxyRes.headers));
    this.proxy.on("proxyReqWs", (proxyReq) => {
      proxyReq.setTimeout(timeouts.upgradeMs, () => proxyReq.destroy(new Error("the server did not accept the WebSocket in time")));
      // http-proxy-3 writes an upgrade's answer (101, or a plain refusal) to the browser itself,
      // without its proxyRes event: the environment's cookies are filtered here first.
      // (An upgrade keeps its Connection and Upgrade headers: only the cookies go.)
      proxyReq.prependListener("upgrade", (res: http.IncomingMessage) => withoutPortalCookies(res.headers));
      proxyReq.prependListener("response", (res: http.IncomingMessage) => forBrowser(res.headers));
    });
    // The browser went away mid-request: http-proxy-3 has already aborted the upstream request.
    this.proxy.on("econnreset", () => undefined);
  }

  private target(target: ProxyTarget) {
    const upstream = target.via === "socket" ? { socketPath: target.socketPath, host: "localhost", port: 0 } : { host: target.host, port: target.port };
    return { target: upstream, headers: target.headers };
  }

  /** Forwards an HTTP request; a server that does not answer gets the browser a 502 (or a cut response, if it had started). */
  web(req: http.IncomingMessage, res: http.ServerResponse, target: ProxyTarget): void {
    if (!reachable(target)) return json(res, 502, "The environment's server is not answering; wait until it is ready.");
    forUpstream(req, false);
    this.proxy.web(req, res, { ...this.target(target), agent: this.agent }, (err) => {
      if (res.headersSent) return void res.destroy(err);
      if (this.timedOut.has(req)) json(res, 504, "The environment's server took too long to answer.");
      else json(res, 502, "The environment's server is not answering; wait until it is ready.");
    });
  }

  /** Forwards a WebSocket; a server that refuses it or does not answer closes the browser's socket. */
  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget): void {
    if (!reachable(target)) return void socket.destroy();
    forUpstream(req, true);
    this.proxy.ws(req, socket, head, this.target(target), () => socket.destroy());
  }

  close(): void {
    this.agent.destroy();
    this.proxy.close();
  }
}
