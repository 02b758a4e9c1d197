// The portal's proxy for each local environment's own web servers: JupyterLab under
// /environments/<id>/notebook/ and the Dask dashboard under /environments/<id>/dashboard/,
// HTTP and WebSocket, on the portal's origin so another computer reaches them through it.
// Who may see what is decided inside Next.js (app/api/internal/proxy-target/route.ts), which
// this asks on loopback with the browser's cookie and the process's internal token; this
// module only forwards. Its responses never pass through Next.js, so the portal's own
// Content-Security-Policy (proxy.ts) is not put on JupyterLab's or Bokeh's pages.
import http from "node:http";

const proxiedPath = /^\/environments\/([^/?#]+)\/(notebook|dashboard)\//;
/** How long a "yes" is reused for the same cookie, environment and server; upgrades always ask again. */
const CACHE_MS = 5_000;
/** The portal's session cookies stay with the portal: the environment's servers run attendee code. */
const portalCookie = /^(__Secure-|__Host-)?next-auth\./;
/** Hop-by-hop and portal-internal headers that are not forwarded. */
const dropped = ["x-portal-internal", "x-portal-peer", "authorization", "proxy-authorization"];

/** Whether the request is for an environment's notebook or dashboard (the paths this module serves). */
export function isProxied(req) {
  return proxiedPath.test(req.url ?? "");
}

/**
 * The proxy of a portal listening on `port`, asking its internal route with `token`.
 * Returns the HTTP and upgrade handlers for the proxied paths.
 */
export function createEnvironmentProxy({ port, token }) {
  const cache = new Map();

  /** Asks the portal whether the request's viewer may reach it: { status, target?, headers?, body }. */
  function ask(req, envId, kind) {
    const query = new URLSearchParams({ env: envId, kind });
    return new Promise((resolve) => {
      const asking = http.request(
        {
          host: "127.0.0.1",
          port,
          path: `/api/internal/proxy-target?${query}`,
          headers: { cookie: req.headers.cookie ?? "", "x-portal-internal": token, host: req.headers.host ?? `127.0.0.1:${port}` },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => (body += chunk));
          res.on("end", () => {
            if (res.statusCode !== 200) return resolve({ status: res.statusCode ?? 500, body });
            const { target, headers } = JSON.parse(body);
            resolve({ status: 200, target: new URL(target), headers });
          });
        },
      );
      asking.on("error", () => resolve({ status: 503, body: JSON.stringify({ error: "The portal is not ready yet." }) }));
      asking.end();
    });
  }

  async function authorise(req, { fresh }) {
    const [, envId, kind] = proxiedPath.exec(req.url);
    const key = `${req.headers.cookie ?? ""}\n${envId}\n${kind}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (!fresh && hit && hit.until > now) return hit.answer;
    let id;
    try {
      id = decodeURIComponent(envId);
    } catch {
      return { status: 404, body: JSON.stringify({ error: "Environment not found." }) };
    }
    const answer = await ask(req, id, kind);
    if (answer.status === 200) {
      if (cache.size > 1000) for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
      cache.set(key, { answer, until: now + CACHE_MS });
    }
    return answer;
  }

  /**
   * The request's headers as the environment's server should see them: addressed to it, with
   * the headers the portal adds (the notebook's token), without the portal's own cookies. An
   * Origin or Referer of the portal itself is presented as the server's own, so its
   * same-origin checks pass for pages the portal served and still fail for anyone else's.
   */
  function forwardedHeaders(req, answer) {
    const portalOrigins = [`http://${req.headers.host}`, `https://${req.headers.host}`];
    const headers = { ...req.headers };
    for (const name of dropped) delete headers[name];
    const cookies = (req.headers.cookie ?? "")
      .split(";")
      .map((c) => c.trim())
      .filter((c) => c && !portalCookie.test(c));
    if (cookies.length) headers.cookie = cookies.join("; ");
    else delete headers.cookie;
    if (portalOrigins.includes(headers.origin)) headers.origin = answer.target.origin;
    const referer = portalOrigins.find((o) => headers.referer?.startsWith(`${o}/`));
    if (referer) headers.referer = answer.target.origin + headers.referer.slice(referer.length);
    headers.host = answer.target.host;
    return { ...headers, ...answer.headers };
  }

  /** A redirect the server makes to its own absolute address becomes the same path on the portal. */
  function responseHeaders(upstream, answer) {
    const headers = { ...upstream.headers };
    if (headers.location?.startsWith(`${answer.target.origin}/`)) headers.location = headers.location.slice(answer.target.origin.length);
    return headers;
  }

  function refuse(req, res, answer) {
    // A page opened without a session goes to sign-in, as the portal's own pages do.
    const navigation = req.method === "GET" && (req.headers["sec-fetch-mode"] === "navigate" || /text\/html/.test(req.headers.accept ?? ""));
    if (answer.status === 401 && navigation) {
      res.writeHead(303, { location: `/signin?callbackUrl=${encodeURIComponent(req.url)}`, "cache-control": "no-store" });
      return res.end();
    }
    res.writeHead(answer.status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(answer.body);
  }

  function notAnswering(res) {
    if (res.headersSent) return res.destroy();
    res.writeHead(502, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify({ error: "The environment's server is not answering; wait until it is ready." }));
  }

  async function onRequest(req, res) {
    const answer = await authorise(req, { fresh: false });
    if (answer.status !== 200) return refuse(req, res, answer);
    const forwarded = http.request(
      { host: answer.target.hostname, port: answer.target.port, method: req.method, path: req.url, headers: forwardedHeaders(req, answer) },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream, answer));
        upstream.pipe(res);
      },
    );
    forwarded.on("error", () => notAnswering(res));
    req.pipe(forwarded);
  }

  /** Writes a response head on a raw socket (an upgrade's answer or refusal). */
  function writeHead(socket, status, message, headers) {
    const lines = [`HTTP/1.1 ${status} ${message}`];
    for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  }

  async function onUpgrade(req, socket, head) {
    socket.on("error", () => socket.destroy());
    // A WebSocket outlives any cache: the session and the environment are checked now.
    const answer = await authorise(req, { fresh: true });
    if (answer.status !== 200) {
      writeHead(socket, answer.status, http.STATUS_CODES[answer.status] ?? "Refused", { connection: "close", "content-length": "0" });
      return socket.destroy();
    }
    const forwarded = http.request({ host: answer.target.hostname, port: answer.target.port, method: req.method, path: req.url, headers: forwardedHeaders(req, answer) });
    forwarded.on("upgrade", (upstream, upstreamSocket, upstreamHead) => {
      writeHead(socket, 101, upstream.statusMessage || "Switching Protocols", upstream.headers);
      if (upstreamHead.length) socket.write(upstreamHead);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.on("error", () => socket.destroy());
      socket.on("error", () => upstreamSocket.destroy());
      upstreamSocket.on("close", () => socket.destroy());
      socket.on("close", () => upstreamSocket.destroy());
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
    });
    // The server refused the upgrade: its status goes back, and the connection closes.
    forwarded.on("response", (upstream) => {
      upstream.resume();
      writeHead(socket, upstream.statusCode ?? 502, upstream.statusMessage ?? "Refused", { connection: "close", "content-length": "0" });
      socket.destroy();
    });
    forwarded.on("error", () => {
      writeHead(socket, 502, "Bad Gateway", { connection: "close", "content-length": "0" });
      socket.destroy();
    });
    forwarded.end();
  }

  return { onRequest, onUpgrade };
}
