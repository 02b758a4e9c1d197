// What the loopback shims in front of moto share: reading a body, forwarding a request to
// moto unchanged, and answering in the JSON protocol AWS's newer services speak.
import { randomBytes } from "node:crypto";
import http from "node:http";

/** @param {import("node:http").IncomingMessage} req */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Sends one request to moto and returns its status, headers and body. */
export function forward(target, req, body, headers = req.headers) {
  const sent = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...headers, host: target.host, "content-length": String(sent.length) },
      },
      async (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: await readBody(res) }),
    );
    upstream.on("error", reject);
    upstream.end(sent);
  });
}

/** Relays moto's answer as it came. */
export function relay(res, answer) {
  const headers = { ...answer.headers, "content-length": String(answer.body.length) };
  delete headers["transfer-encoding"];
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

export function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomBytes(8).toString("hex") });
  res.end(JSON.stringify(value));
}

/**
 * A shim on a free loopback port: `answer(target, body, req, res)` handles the JSON-protocol
 * calls it plays (returning true), everything else goes to moto unchanged.
 * @returns {Promise<{ endpoint: string, close(): Promise<void> }>}
 */
export async function startShim(target, answer) {
  const upstream = new URL(target);
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const amzTarget = String(req.headers["x-amz-target"] ?? "");
      if (amzTarget && (await answer(amzTarget, body, req, res, upstream))) return;
      relay(res, await forward(upstream, req, body));
    } catch (error) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
