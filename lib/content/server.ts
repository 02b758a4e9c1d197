import "server-only";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import type { PortalConfig } from "@/lib/config";
import { getEnvironment, providerRef } from "@/lib/db/environment-queries";
import { proxiedKinds, type ProxiedAccess, type ProxiedKind, type ProxyTarget } from "@/lib/providers/contract";
import { contentTarget, portalOrigin, publicProtocol } from "./origin";
import { EnvironmentProxy, type ProxyTimeouts } from "./proxy";
import { CONTENT_COOKIE, openContentSession, sealContentSession, STATE_COOKIE, stillHolds, type ContentSecrets, type ContentViewer } from "./session";
import type { TicketBook } from "./tickets";

// The content origin: an HTTP server of its own (PORTAL_CONTENT_PORT) in the portal's process,
// serving each proxied environment's JupyterLab and Dask dashboard (local ones; an AWS
// scheduler's dashboard when the portal runs in the event's VPC), HTTP and WebSocket, so that
// nothing an environment serves ever runs on the portal's origin. It answers:
// - /environments/<id>/handoff?ticket=…: takes a ticket (tickets.ts) and sets the content
//   session for that environment and viewer (session.ts);
// - /environments/<id>/notebook/… (the owner) and /dashboard/… (the owner and the facilitator):
//   forwarded (proxy.ts) once the content session says who it is and that they still may; a
//   page opened without one starts the hand-off at the portal, anything else gets 401.
// Every WebSocket is authorised when it opens, and checked again every second: one whose
// attendee was signed out or removed, or whose environment went, is closed.
// A ticket that is not good, and an environment the viewer may not open, get the same 404 as
// an environment that does not exist.

const SWEEP_MS = 1_000;
/**
 * How long a yes is reused for the same cookies, environment and server: a page loads dozens of
 * files at once, and each full check reads the store. A revoked session is refused within this
 * long; WebSockets are checked afresh when they open.
 */
const ALLOWED_MS = 1_000;
const STATE_TTL_S = 120;

interface OpenSocket {
  socket: Duplex;
  viewer: ContentViewer;
  envId: string;
  kind: ProxiedKind;
}

export interface ContentServerDeps {
  config: Pick<PortalConfig, "content" | "publicUrl">;
  /** The provider's proxied dashboard access: where each environment's servers are. */
  access: Pick<ProxiedAccess, "target">;
  secrets: () => ContentSecrets;
  tickets: TicketBook;
  timeouts?: ProxyTimeouts;
}

function cookieValues(header: string | undefined, name: string): string[] {
  return (header ?? "")
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

const notFoundBody = JSON.stringify({ error: "Environment not found." });

/** The same answer for a missing environment, one the viewer may not open, and a ticket that is not good. */
function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(notFoundBody);
}

function refuse(res: http.ServerResponse, status: 401 | 403, error: string): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ error }));
}

/** Answers an upgrade with a status and closes the connection once the answer is out. */
function refuseUpgrade(socket: Duplex, status: number): void {
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** A page the browser is opening (not a script's request): it may be sent through the hand-off. */
function isNavigation(req: http.IncomingMessage): boolean {
  if (req.method !== "GET") return false;
  const mode = req.headers["sec-fetch-mode"];
  return mode ? mode === "navigate" : /text\/html/.test(req.headers.accept ?? "");
}

/** A failure of the portal's own (its store, say) answered in plain words, never with its details, and logged. */
function failed(err: unknown, res: http.ServerResponse | Duplex): void {
  console.error("content origin:", err instanceof Error ? err.message : err);
  if (!(res instanceof http.ServerResponse)) return void res.destroy();
  if (res.headersSent) return void res.destroy();
  res.writeHead(500, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ error: "Something went wrong on the portal. Try again." }));
}

export class ContentServer {
  private readonly server = http.createServer((req, res) => {
    try {
      this.onRequest(req, res);
    } catch (err) {
      failed(err, res);
    }
  });
  private readonly proxy: EnvironmentProxy;
  private readonly sockets = new Set<OpenSocket>();
  private readonly allowed = new Map<string, { target: ProxyTarget; until: number }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly deps: ContentServerDeps) {
    this.proxy = new EnvironmentProxy(deps.timeouts);
    this.server.on("upgrade", (req, socket, head) => {
      try {
        this.onUpgrade(req, socket, head);
      } catch (err) {
        failed(err, socket);
      }
    });
    this.sweep = setInterval(() => this.closeRevoked(), SWEEP_MS);
    this.sweep.unref();
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.deps.config.content.port, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  close(): void {
    clearInterval(this.sweep);
    for (const open of this.sockets) open.socket.destroy();
    this.server.close();
    this.proxy.close();
  }

  /** Where the viewer's request may go now: the environment exists, is theirs to open this way, and is running. */
  private authorise(viewer: ContentViewer, envId: string, kind: ProxiedKind): ProxyTarget | null {
    const row = getEnvironment(envId);
    if (!row || row.deletedAt) return null;
    const allowed = (viewer.role === "attendee" && row.attendeeId === viewer.id) || (viewer.role === "facilitator" && kind === "dashboard");
    return allowed ? (this.deps.access.target(providerRef(row), kind) ?? null) : null;
  }

  /** Who the request's content session speaks for on this environment, if anyone. */
  private viewerOf(req: http.IncomingMessage, envId: string): ContentViewer | null {
    const secrets = this.deps.secrets();
    for (const value of cookieValues(req.headers.cookie, CONTENT_COOKIE)) {
      const viewer = openContentSession(value, envId, secrets);
      if (viewer) return viewer;
    }
    return null;
  }

  private secure(): string {
    return publicProtocol(this.deps.config.publicUrl) === "https:" ? "; Secure" : "";
  }

  /** A request that changes something, or a WebSocket, from a page of another origin: refused (the notebook's token would vouch for it). */
  private fromElsewhere(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return false;
    return origin !== `${publicProtocol(this.deps.config.publicUrl)}//${req.headers.host}`;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = contentTarget(this.deps.config.content, req.headers.host, req.url ?? "");
    if (!target) return notFound(res);
    if (target.part === "handoff") return this.takeTicket(req, res, target.envId);
    const kind = target.part;
    const key = `${req.headers.cookie ?? ""}\n${target.envId}\n${kind}`;
    const now = Date.now();
    const recent = this.allowed.get(key);
    if (recent && recent.until > now) return this.forward(req, res, recent.target);
    const viewer = this.viewerOf(req, target.envId);
    const upstream = viewer ? this.authorise(viewer, target.envId, kind) : null;
    if (!upstream) {
      // A page is opened through the portal, which decides with the browser's portal session.
      if (isNavigation(req)) return this.beginHandOff(req, res, target.envId, kind);
      return viewer ? notFound(res) : refuse(res, 401, "Open it from the portal first.");
    }
    if (this.allowed.size >= 1_000) for (const [k, v] of this.allowed) if (v.until <= now) this.allowed.delete(k);
    this.allowed.set(key, { target: upstream, until: now + ALLOWED_MS });
    this.forward(req, res, upstream);
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: ProxyTarget): void {
    const changes = req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS";
    if (changes && this.fromElsewhere(req)) return refuse(res, 403, "Refused: the request came from another origin.");
    this.proxy.web(req, res, upstream);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const target = contentTarget(this.deps.config.content, req.headers.host, req.url ?? "");
    if (!target || target.part === "handoff") return refuseUpgrade(socket, 404);
    const kind = target.part;
    // Authorised now, whatever happened before: a WebSocket may stay open for hours.
    const viewer = this.viewerOf(req, target.envId);
    if (!viewer) return refuseUpgrade(socket, 401);
    const upstream = this.authorise(viewer, target.envId, kind);
    if (!upstream) return refuseUpgrade(socket, 404);
    if (this.fromElsewhere(req)) return refuseUpgrade(socket, 403);
    const open: OpenSocket = { socket, viewer, envId: target.envId, kind };
    this.sockets.add(open);
    socket.once("close", () => this.sockets.delete(open));
    this.proxy.ws(req, socket, head, upstream);
  }

  /** Sends the browser to the portal for a ticket, with a state cookie only this browser holds. */
  private beginHandOff(req: http.IncomingMessage, res: http.ServerResponse, envId: string, kind: ProxiedKind): void {
    const state = randomBytes(24).toString("base64url");
    const back = new URL(`/environments/${envId}/${kind}`, portalOrigin(this.deps.config.content, this.deps.config.publicUrl, req.headers.host ?? ""));
    back.searchParams.set("state", state);
    back.searchParams.set("path", req.url ?? "");
    res.writeHead(303, {
      location: back.href,
      // One per kind: opening the notebook and the dashboard at once (two tabs) keeps both hand-offs.
      "set-cookie": `${STATE_COOKIE}-${kind}=${state}; Path=/environments/${envId}/handoff; Max-Age=${STATE_TTL_S}; HttpOnly; SameSite=Lax${this.secure()}`,
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });
    res.end();
  }

  /** Takes the ticket once; with the browser's state cookie it becomes the content session for that environment and viewer. */
  private takeTicket(req: http.IncomingMessage, res: http.ServerResponse, envId: string): void {
    const ticket = new URL(req.url ?? "", "http://content.invalid").searchParams.get("ticket");
    const states = proxiedKinds.map((kind) => cookieValues(req.headers.cookie, `${STATE_COOKIE}-${kind}`)[0]);
    const grant = req.method === "GET" && ticket ? this.deps.tickets.take(ticket, envId, states) : null;
    if (!grant) return notFound(res);
    const session = sealContentSession(envId, grant.viewer, this.deps.secrets());
    res.writeHead(303, {
      location: grant.path,
      "set-cookie": [
        `${CONTENT_COOKIE}=${session}; Path=/environments/${envId}/; HttpOnly; SameSite=Lax${this.secure()}`,
        `${STATE_COOKIE}-${grant.kind}=; Path=/environments/${envId}/handoff; Max-Age=0; HttpOnly; SameSite=Lax${this.secure()}`,
      ],
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });
    res.end();
  }

  /** Closes the WebSockets whose viewer or environment no longer holds. */
  private closeRevoked(): void {
    try {
      for (const open of this.sockets) {
        if (stillHolds(open.viewer) && this.authorise(open.viewer, open.envId, open.kind)) continue;
        this.sockets.delete(open);
        open.socket.destroy();
      }
    } catch (err) {
      console.error("content origin: could not recheck open WebSockets:", err instanceof Error ? err.message : err);
    }
  }
}
