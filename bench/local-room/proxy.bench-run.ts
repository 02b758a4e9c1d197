// Proxy overhead: what the portal adds to a request to an environment's JupyterLab or Dask
// dashboard, against the same request made directly, for today's proxy (the content origin,
// lib/content, on http-proxy-3, servers on Unix sockets in their own network namespace) and
// for the proxy before it (scripts/proxy.mjs on the portal's origin, servers on loopback TCP),
// in the same run. The baseline is a checkout of BENCH_PROXY_BASELINE (default: the commit
// before the content origin), built once under the system's temporary folder. Both portals run
// as e2e runs them, each deploys one environment through its page in Chromium, then Node times
// HTTP GETs, kernel WebSocket round trips and WebSocket opens. Writes proxy-results.json and the
// "Proxy overhead" section of REPORT.md; nothing here passes or fails on timing.
import { execFileSync, execSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { chromium, expect, type BrowserContext } from "@playwright/test";
import { afterAll, it } from "vitest";
import { EnvironmentPage } from "../../e2e/pages/environment-page";
import { SignInPage } from "../../e2e/pages/signin-page";
import { freshDataDir, PortalServer } from "../../e2e/support/portal-server";
import { loadProxyResults, saveProxyResults, withProxySection, type ProxyRow, type Timing } from "./proxy-report";

const N = Number(process.env.BENCH_PROXY_REQUESTS ?? 200);
/** WebSocket opens and uncached requests each cost a session lookup: fewer of them. */
const N_SMALL = Math.max(10, Math.round(N / 4));
const BASELINE = process.env.BENCH_PROXY_BASELINE ?? "12fd173";
const reportFile = path.resolve("bench/local-room/REPORT.md");

/** A built checkout of the baseline commit, beside this one's node_modules and Python envs. */
function baselineCheckout(): string {
  const commit = execFileSync("git", ["rev-parse", "--short", BASELINE], { encoding: "utf8" }).trim();
  const dir = path.join(os.tmpdir(), `portal-proxy-baseline-${commit}`);
  if (fs.existsSync(path.join(dir, ".next", "BUILD_ID"))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execSync(`git archive ${commit} | tar -x -C ${JSON.stringify(dir)}`, { stdio: "inherit" });
  // Hard links: the build must not reach outside its own folder for its packages.
  execFileSync("cp", ["-al", path.resolve("node_modules"), path.join(dir, "node_modules")]);
  for (const venv of [".venv", ".venv-worker"]) if (fs.existsSync(venv)) fs.symlinkSync(fs.realpathSync(venv), path.join(dir, venv));
  execFileSync("npm", ["run", "build"], { cwd: dir, stdio: "inherit" });
  return dir;
}

const portal = new PortalServer(freshDataDir("proxy-bench"));
let baseline: PortalServer | undefined;
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;

afterAll(async () => {
  await browser?.close();
  for (const p of [portal, baseline]) {
    if (!p) continue;
    await p.stop();
    // Only these portals' own data folders: other portals and clusters run on this machine.
    execFileSync(process.execPath, [path.join("scripts", "stop-local.mjs"), p.dataDir], { stdio: "inherit" });
    fs.rmSync(p.dataDir, { recursive: true, force: true });
  }
});

// ---- timing helpers

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, rank)] * 100) / 100;
}

const summary = (values: number[]): Timing => ({ p50: percentile(values, 50), p95: percentile(values, 95) });

type Ways = Record<keyof Omit<ProxyRow, "measure" | "requests">, () => Promise<void>>;

/** Times each way in turn, `n` times each, so load from elsewhere hits all of them alike. */
async function compare(measure: string, n: number, ways: Ways): Promise<ProxyRow> {
  const times = Object.fromEntries(Object.keys(ways).map((k) => [k, [] as number[]])) as Record<keyof Ways, number[]>;
  for (let i = 0; i < n; i++) {
    for (const [name, run] of Object.entries(ways) as [keyof Ways, () => Promise<void>][]) {
      const t0 = performance.now();
      await run();
      times[name].push(performance.now() - t0);
    }
  }
  const row: ProxyRow = {
    measure,
    requests: n,
    baselineDirect: summary(times.baselineDirect),
    baselinePortal: summary(times.baselinePortal),
    direct: summary(times.direct),
    portal: summary(times.portal),
  };
  console.log(JSON.stringify(row));
  return row;
}

// ---- HTTP

/** One kept-alive connection per way, as a browser tab keeps one. */
const agents = new Map<string, http.Agent>();
const agentFor = (key: string) => agents.get(key) ?? agents.set(key, new http.Agent({ keepAlive: true, maxSockets: 1 })).get(key)!;

/** Where a request goes: an origin (TCP), or a Unix socket. */
type Target = { url: string } | { socketPath: string; path: string };

/** A GET that must answer 200; the body is read to the end. */
function get(target: Target, headers: Record<string, string>): Promise<void> {
  const where = "url" in target ? new URL(target.url) : null;
  const options: http.RequestOptions = where
    ? { host: where.hostname, port: where.port, path: where.pathname + where.search, agent: agentFor(where.origin), headers }
    : { socketPath: (target as { socketPath: string }).socketPath, path: (target as { path: string }).path, agent: agentFor((target as { socketPath: string }).socketPath), headers };
  return new Promise((resolve, reject) => {
    http
      .get(options, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`${JSON.stringify(target)} answered ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

// ---- a minimal WebSocket client (Node 20 has no global WebSocket; no ws package here)

class MiniSocket {
  private buffer = Buffer.alloc(0);
  private waiting: ((text: string) => void)[] = [];
  private queued: string[] = [];

  private constructor(private readonly socket: Duplex) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
  }

  static open(target: Target, headers: Record<string, string>): Promise<MiniSocket> {
    const upgrade = { ...headers, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": randomBytes(16).toString("base64") };
    return new Promise((resolve, reject) => {
      const req = "url" in target ? http.request(target.url, { headers: upgrade }) : http.request({ socketPath: target.socketPath, path: target.path, headers: upgrade });
      req.on("upgrade", (_res, socket, head) => {
        const ws = new MiniSocket(socket);
        if (head.length) ws.receive(head);
        resolve(ws);
      });
      req.on("response", (res) => reject(new Error(`${JSON.stringify(target)}: upgrade refused with ${res.statusCode}`)));
      req.on("error", reject);
      req.end();
    });
  }

  /** Sends one text frame (masked, as a client must). */
  send(text: string): void {
    const payload = Buffer.from(text);
    const len = payload.length;
    const header = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
    if (len > 0xffff) throw new Error("message too long for this client");
    const mask = randomBytes(4);
    for (let i = 0; i < len; i++) payload[i] ^= mask[i % 4];
    this.socket.write(Buffer.concat([header, mask, payload]));
  }

  /** The next text message. */
  next(): Promise<string> {
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    this.socket.destroy();
  }

  /** Parses whole unmasked server frames; text frames become messages, others are ignored. */
  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0] & 0x0f;
      let len = this.buffer[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + len) return;
      const payload = this.buffer.subarray(offset, offset + len);
      this.buffer = this.buffer.subarray(offset + len);
      if (opcode !== 1) continue;
      const text = payload.toString("utf8");
      const waiter = this.waiting.shift();
      if (waiter) waiter(text);
      else this.queued.push(text);
    }
  }
}

/** Sends a kernel_info_request on the shell channel and waits for its reply. */
async function kernelInfo(ws: MiniSocket, session: string): Promise<void> {
  const msgId = randomUUID();
  ws.send(
    JSON.stringify({
      header: { msg_id: msgId, msg_type: "kernel_info_request", username: "bench", session, version: "5.3", date: new Date().toISOString() },
      parent_header: {},
      metadata: {},
      content: {},
      channel: "shell",
      buffers: [],
    }),
  );
  for (;;) {
    const msg = JSON.parse(await ws.next()) as { msg_type: string; parent_header?: { msg_id?: string } };
    if (msg.msg_type === "kernel_info_reply" && msg.parent_header?.msg_id === msgId) return;
  }
}

// ---- one environment behind one portal, as the bench reaches it

interface Side {
  /** The environment's servers, directly: JupyterLab (with its token) and the dashboard. */
  direct: { notebook: (p: string) => Target; dashboard: (p: string) => Target; token: Record<string, string> };
  /** Through the portal, with the browser's cookies for it. */
  portal: { notebook: (p: string) => Target; dashboard: (p: string) => Target; cookie: Record<string, string> };
  /** A kernel started directly; it goes with its environment. */
  kernel: string;
  stop: () => Promise<void>;
}

interface EnvState {
  ports: { notebook?: number; dashboard: number };
  notebookToken: string;
  isolation?: { socketDir: string };
}

/** Signs in, deploys through the page, opens the notebook once (today's portal hands the browser its content session then). */
async function sideOf(context: BrowserContext, server: PortalServer, contentOrigin: string | null): Promise<Side> {
  const page = await context.newPage();
  await new SignInPage(page).asAttendee("Bench Proxy", `bench-proxy-${Date.now()}@example.com`);
  await expect(page).toHaveURL(/\/labs\//, { timeout: 30_000 });
  const environment = new EnvironmentPage(page);
  const envId = await environment.deployReady();
  await expect(page.getByTestId("notebook-link")).toBeVisible({ timeout: 120_000 });
  const opened = await context.newPage();
  await opened.goto(`/environments/${envId}/notebook`);
  await opened.close();
  const base = (kind: string) => `/environments/${envId}/${kind}`;
  const state = JSON.parse(fs.readFileSync(path.join(server.dataDir, "local", envId, "state.json"), "utf8")) as EnvState;
  const token = { authorization: `token ${state.notebookToken}` };
  const origin = contentOrigin ?? server.url;
  // The cookies a browser sends with a request under the environment's paths (the content session is scoped to them).
  const cookie = { cookie: (await context.cookies(`${origin}${base("notebook")}/`)).map((c) => `${c.name}=${c.value}`).join("; ") };
  const direct = state.isolation
    ? {
        notebook: (p: string) => ({ socketPath: path.join(state.isolation!.socketDir, "notebook.sock"), path: base("notebook") + p }),
        dashboard: (p: string) => ({ socketPath: path.join(state.isolation!.socketDir, "dashboard.sock"), path: base("dashboard") + p }),
      }
    : {
        notebook: (p: string) => ({ url: `http://127.0.0.1:${state.ports.notebook}${base("notebook")}${p}` }),
        dashboard: (p: string) => ({ url: `http://127.0.0.1:${state.ports.dashboard}${base("dashboard")}${p}` }),
      };
  const started = await new Promise<string>((resolve, reject) => {
    const target = direct.notebook("/api/kernels");
    const options = { method: "POST", headers: { ...token, "content-type": "application/json" } };
    const answered = (res: http.IncomingMessage) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => (res.statusCode === 201 ? resolve((JSON.parse(body) as { id: string }).id) : reject(new Error(`starting a kernel answered ${res.statusCode}`))));
    };
    const req = "url" in target ? http.request(target.url, options, answered) : http.request({ ...options, socketPath: target.socketPath, path: target.path }, answered);
    req.on("error", reject);
    req.end(JSON.stringify({ name: "python3" }));
  });
  return {
    direct: { ...direct, token },
    portal: { notebook: (p) => ({ url: `${origin}${base("notebook")}${p}` }), dashboard: (p) => ({ url: `${origin}${base("dashboard")}${p}` }), cookie },
    kernel: started,
    stop: async () => {
      await environment.teardown();
      await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
    },
  };
}

// ---- the run

it(`times ${N} requests each way: JupyterLab and the dashboard, HTTP and WebSocket, through today's portal, the baseline's, and directly`, { timeout: 25 * 60_000 }, async () => {
  const baselineDir = baselineCheckout();
  baseline = new PortalServer(freshDataDir("proxy-bench-baseline"), {}, { dir: baselineDir, contentOrigin: false });
  const load = os.loadavg().map((l) => l.toFixed(2)).join(" ");
  await Promise.all([portal.start(), baseline.start()]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const today = await sideOf(await browser.newContext({ baseURL: portal.url }), portal, portal.contentOrigin());
  const before = await sideOf(await browser.newContext({ baseURL: baseline.url }), baseline, null);

  // The first request of each session: nothing is cached in either proxy yet.
  const first = async (side: Side) => {
    const t0 = performance.now();
    await get(side.portal.notebook("/api/status"), side.portal.cookie);
    return Math.round((performance.now() - t0) * 100) / 100;
  };
  const firstPortalMs = { baseline: await first(before), portal: await first(today) };

  const rows: ProxyRow[] = [];
  const http4 = (p: string, kind: "notebook" | "dashboard", cookie: (side: Side) => Record<string, string> = (s) => s.portal.cookie): Ways => ({
    baselineDirect: () => get(before.direct[kind](p), kind === "notebook" ? before.direct.token : {}),
    baselinePortal: () => get(before.portal[kind](p), cookie(before)),
    direct: () => get(today.direct[kind](p), kind === "notebook" ? today.direct.token : {}),
    portal: () => get(today.portal[kind](p), cookie(today)),
  });
  rows.push(await compare("HTTP GET JupyterLab `/api/status`", N, http4("/api/status", "notebook")));
  let n = 0;
  rows.push(
    await compare(
      "HTTP GET JupyterLab `/api/status`, authorisation not cached (new cookie string each time)",
      N_SMALL,
      http4("/api/status", "notebook", (s) => ({ cookie: `${s.portal.cookie.cookie}; bench=${n++}` })),
    ),
  );
  rows.push(await compare("HTTP GET Dask dashboard `/health`", N, http4("/health", "dashboard")));

  const channels = (side: Side, via: "direct" | "portal") => side[via].notebook(`/api/kernels/${side.kernel}/channels?session_id=${randomUUID()}`);
  const credentials = (side: Side, via: "direct" | "portal") => (via === "direct" ? side.direct.token : side.portal.cookie);
  const sockets = new Map<string, MiniSocket>();
  const session = randomUUID();
  for (const [name, side, via] of [["baselineDirect", before, "direct"], ["baselinePortal", before, "portal"], ["direct", today, "direct"], ["portal", today, "portal"]] as const) {
    const ws = await MiniSocket.open(channels(side, via), credentials(side, via));
    // A kernel answers its first request slowly (it is still starting): one untimed each.
    await kernelInfo(ws, session);
    sockets.set(name, ws);
  }
  const roundTrip = (name: string) => () => kernelInfo(sockets.get(name)!, session);
  rows.push(
    await compare("WebSocket round trip (kernel channel, `kernel_info_request`)", N, {
      baselineDirect: roundTrip("baselineDirect"),
      baselinePortal: roundTrip("baselinePortal"),
      direct: roundTrip("direct"),
      portal: roundTrip("portal"),
    }),
  );
  for (const ws of sockets.values()) ws.close();
  const opening = (side: Side, via: "direct" | "portal") => async () => (await MiniSocket.open(channels(side, via), credentials(side, via))).close();
  rows.push(
    await compare("WebSocket open (kernel channel upgrade; both portals authorise every open)", N_SMALL, {
      baselineDirect: opening(before, "direct"),
      baselinePortal: opening(before, "portal"),
      direct: opening(today, "direct"),
      portal: opening(today, "portal"),
    }),
  );

  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const baselineCommit = execFileSync("git", ["rev-parse", "--short", BASELINE], { encoding: "utf8" }).trim();
  saveProxyResults({ date: new Date().toISOString().slice(0, 10), load, commit, baselineCommit, rows, firstPortalMs });
  fs.writeFileSync(reportFile, withProxySection(fs.readFileSync(reportFile, "utf8"), loadProxyResults()));

  for (const side of [today, before]) await side.stop();
});
