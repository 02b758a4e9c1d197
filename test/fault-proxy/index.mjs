// An HTTP proxy in front of moto that plays a bad day on AWS: slow answers, dropped
// connections, throttling in each service's own error shape, and outages. It also
// counts every call per API, which is how tests and benchmarks measure what the portal
// asks of AWS. Plain ESM so vitest, benchmarks and a bare `node` share it.
//
//   node test/fault-proxy/index.mjs --target http://127.0.0.1:5000 [--port N]
//       prints ONE line of JSON {"endpoint", "control"} and runs until SIGINT/SIGTERM.
//
// Control API (on the proxy itself, never forwarded):
//   POST /__proxy/config  {"throttleShare":0.3,"dropShare":0,"delayMs":0,"delayShare":1,
//                          "downForMs":20000,"down":false,"only":["logs.FilterLogEvents"]}
//                         merges into the current faults; returns them.
//   POST /__proxy/reset   clears faults and counts.
//   GET  /__proxy/counts  {"calls":{"ecs.ListTasks":12,...},"throttled":{...},"dropped":{...},
//                          "refused":{...},"upstreamMs":{"ecs.ListTasks":340,...},"total":N,"since":ISO};
//                         ?reset=1 zeroes them after reading. upstreamMs sums the time moto took to
//                         answer each API (request sent → answer ended), to tell moto's share of a delay.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/** X-Amz-Target prefixes of the JSON services the portal calls, by short service name. */
const jsonTargets = {
  Logs_20140328: "logs",
  AmazonEC2ContainerServiceV20141113: "ecs",
  SageMaker: "sagemaker",
};

/**
 * Which API a request calls: "ecs.ListTasks" from X-Amz-Target (JSON protocols), or
 * "cloudformation.DescribeStacks" / "ec2.DescribeNetworkInterfaces" from Action= (query).
 * @param {http.IncomingMessage} request
 * @param {Buffer} body
 * @returns {{ api: string, protocol: "json" | "query" | "ec2" | "other", contentType: string }}
 */
export function classify(request, body) {
  const target = String(request.headers["x-amz-target"] ?? "");
  const contentType = String(request.headers["content-type"] ?? "");
  if (target) {
    const [prefix, operation] = target.split(".");
    return { api: `${jsonTargets[prefix] ?? prefix}.${operation}`, protocol: "json", contentType };
  }
  const params = new URLSearchParams(
    contentType.includes("x-www-form-urlencoded") ? body.toString("utf8") : (request.url ?? "").split("?")[1] ?? "",
  );
  const action = params.get("Action");
  if (action) {
    const version = params.get("Version") ?? "";
    const service = version === "2010-05-15" ? "cloudformation" : version === "2016-11-15" ? "ec2" : `query-${version}`;
    return { api: `${service}.${action}`, protocol: service === "ec2" ? "ec2" : "query", contentType };
  }
  return { api: `other.${request.method} ${(request.url ?? "").split("?")[0]}`, protocol: "other", contentType };
}

/**
 * A throttling answer exactly as the service would send it, so the SDK parses it into
 * the error name the portal's limiter recognises.
 * @param {"json" | "query" | "ec2" | "other"} protocol
 * @param {string} contentType
 */
export function throttlingResponse(protocol, contentType) {
  const requestId = randomUUID();
  if (protocol === "json") {
    return {
      status: 400,
      headers: { "content-type": contentType || "application/x-amz-json-1.1", "x-amzn-requestid": requestId },
      body: JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }),
    };
  }
  if (protocol === "ec2") {
    return {
      status: 503,
      headers: { "content-type": "text/xml" },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  return {
    status: 400,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

const quiet = () => ({ throttleShare: 0, dropShare: 0, delayMs: 0, delayShare: 1, downUntil: 0, down: false, only: /** @type {string[]} */ ([]) });

/**
 * Starts the proxy.
 * @param {{ target: string, port?: number, random?: () => number }} options
 * @returns {Promise<{ endpoint: string, port: number, configure: (faults: object) => object, counts: (reset?: boolean) => object, reset: () => void, close: () => Promise<void> }>}
 */
export async function startFaultProxy({ target, port = 0, random = Math.random }) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let faults = quiet();
  const fresh = () => ({ calls: {}, throttled: {}, dropped: {}, refused: {}, delayed: {}, upstreamMs: {}, since: new Date().toISOString() });
  let tally = fresh();
  /** @param {Record<string, number>} bag @param {string} api */
  const bump = (bag, api) => {
    bag[api] = (bag[api] ?? 0) + 1;
  };

  /** @param {Record<string, unknown>} change */
  function configure(change) {
    const next = { ...faults };
    for (const key of ["throttleShare", "dropShare", "delayMs", "delayShare"]) {
      if (typeof change[key] === "number") next[key] = Math.max(0, change[key]);
    }
    if (typeof change.down === "boolean") next.down = change.down;
    if (typeof change.downForMs === "number") next.downUntil = Date.now() + change.downForMs;
    if (Array.isArray(change.only)) next.only = change.only.map(String);
    faults = next;
    return describe();
  }
  const isDown = () => faults.down || Date.now() < faults.downUntil;
  const describe = () => ({ ...faults, downNow: isDown(), downUntil: faults.downUntil ? new Date(faults.downUntil).toISOString() : null });
  function counts(reset = false) {
    const total = Object.values(tally.calls).reduce((a, b) => a + b, 0);
    const result = { ...tally, total };
    if (reset) tally = fresh();
    return result;
  }

  /** @param {http.ServerResponse} response @param {number} status @param {unknown} value */
  const json = (response, status, value) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(value));
  };

  /** @param {http.IncomingMessage} request @param {http.ServerResponse} response @param {Buffer} body */
  async function control(request, response, body) {
    const url = new URL(request.url ?? "/", "http://proxy");
    if (url.pathname === "/__proxy/counts" && request.method === "GET") return json(response, 200, counts(url.searchParams.has("reset")));
    if (url.pathname === "/__proxy/config" && request.method === "GET") return json(response, 200, describe());
    if (url.pathname === "/__proxy/config" && request.method === "POST") {
      try {
        return json(response, 200, configure(JSON.parse(body.toString("utf8") || "{}")));
      } catch (error) {
        return json(response, 400, { error: String(error) });
      }
    }
    if (url.pathname === "/__proxy/reset" && request.method === "POST") {
      faults = quiet();
      tally = fresh();
      return json(response, 200, describe());
    }
    return json(response, 404, { error: "unknown control path" });
  }

  /** @param {http.IncomingMessage} request @param {http.ServerResponse} response @param {Buffer} body */
  async function forward(request, response, body) {
    const { api, protocol, contentType } = classify(request, body);
    const harness = (request.url ?? "").startsWith("/moto-api");
    const applies = !harness && (faults.only.length === 0 || faults.only.includes(api));
    if (!harness) bump(tally.calls, api);
    if (applies && isDown()) {
      bump(tally.refused, api);
      request.socket.destroy();
      return;
    }
    if (applies && random() < faults.dropShare) {
      bump(tally.dropped, api);
      request.socket.destroy();
      return;
    }
    if (applies && faults.delayMs > 0 && random() < faults.delayShare) {
      bump(tally.delayed, api);
      await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
    }
    if (applies && random() < faults.throttleShare) {
      bump(tally.throttled, api);
      const answer = throttlingResponse(protocol, contentType);
      response.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
      response.end(answer.body);
      return;
    }
    const sentAt = performance.now();
    const bag = tally;
    const outgoing = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on("end", () => {
          if (!harness) bag.upstreamMs[api] = (bag.upstreamMs[api] ?? 0) + Math.round(performance.now() - sentAt);
        });
        answer.pipe(response);
      },
    );
    outgoing.on("error", () => request.socket.destroy());
    outgoing.end(body);
  }

  const server = http.createServer((request, response) => {
    /** @type {Buffer[]} */
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const handle = (request.url ?? "").startsWith("/__proxy/") ? control : forward;
      handle(request, response, body).catch(() => request.socket.destroy());
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    configure,
    counts,
    reset: () => {
      faults = quiet();
      tally = fresh();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
        agent.destroy();
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { target: { type: "string" }, port: { type: "string" } } });
  if (!values.target) {
    console.error("usage: node test/fault-proxy/index.mjs --target URL [--port N]");
    process.exit(2);
  }
  const proxy = await startFaultProxy({ target: values.target, port: values.port ? Number(values.port) : 0 });
  process.stdout.write(`${JSON.stringify({ endpoint: proxy.endpoint, control: `${proxy.endpoint}/__proxy/` })}\n`);
  const stop = () => proxy.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
