// Proxy overhead: what the portal's path (/environments/<id>/notebook|dashboard, scripts/proxy.mjs)
// adds to a request to an environment's JupyterLab or Dask dashboard, against the same request
// made directly on loopback. Starts the built portal as e2e does (run `npm run -s build` first),
// deploys one environment through the real page in Chromium, then times HTTP GETs, kernel
// WebSocket round trips and WebSocket opens from Node. Writes proxy-results.json and the
// "Proxy overhead" section of REPORT.md; nothing here passes or fails on timing.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { chromium, expect } from "@playwright/test";
import { afterAll, it } from "vitest";
import { EnvironmentPage } from "../../e2e/pages/environment-page";
import { SignInPage } from "../../e2e/pages/signin-page";
import { freshDataDir, PortalServer } from "../../e2e/support/portal-server";
import { loadProxyResults, saveProxyResults, withProxySection, type ProxyRow } from "./proxy-report";

const N = Number(process.env.BENCH_PROXY_REQUESTS ?? 200);
/** WebSocket opens and uncached requests each cost a session lookup: fewer of them. */
const N_SMALL = Math.max(10, Math.round(N / 4));
const reportFile = path.resolve("bench/local-room/REPORT.md");

const portal = new PortalServer(freshDataDir("proxy-bench"));
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;

afterAll(async () => {
  await browser?.close();
  await portal.stop();
  // Only this portal's own data folder: other portals and clusters run on this machine.
  execFileSync(process.execPath, [path.join("scripts", "stop-local.mjs"), portal.dataDir], { stdio: "inherit" });
  fs.rmSync(portal.dataDir, { recursive: true, force: true });
});

// ---- timing helpers

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, rank)] * 100) / 100;
}

const summary = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95) });

/** Times `direct` and `portal` alternately, `n` times each, so load from elsewhere hits both alike. */
async function compare(measure: string, n: number, direct: () => Promise<void>, viaPortal: () => Promise<void>): Promise<ProxyRow> {
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const [run, into] of [[direct, d], [viaPortal, p]] as const) {
      const t0 = performance.now();
      await run();
      into.push(performance.now() - t0);
    }
  }
  const row = { measure, requests: n, direct: summary(d), portal: summary(p) };
  console.log(JSON.stringify(row));
  return row;
}

// ---- HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** A GET that must answer 200; the body is read to the end. */
function get(url: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`))));
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

  static open(url: string, headers: Record<string, string>): Promise<MiniSocket> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, {
        headers: { ...headers, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": randomBytes(16).toString("base64") },
      });
      req.on("upgrade", (_res, socket, head) => {
        const ws = new MiniSocket(socket);
        if (head.length) ws.receive(head);
        resolve(ws);
      });
      req.on("response", (res) => reject(new Error(`${url}: upgrade refused with ${res.statusCode}`)));
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

// ---- the run

it(`times ${N} requests each way: JupyterLab and the dashboard, HTTP and WebSocket, through the portal and directly`, { timeout: 15 * 60_000 }, async () => {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(" ");
  await portal.start();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ baseURL: portal.url });
  const page = await context.newPage();
  await new SignInPage(page).asAttendee("Bench Proxy", `bench-proxy-${Date.now()}@example.com`);
  await expect(page).toHaveURL(/\/labs\//, { timeout: 30_000 });
  const environment = new EnvironmentPage(page);
  const envId = await environment.deployReady();
  await expect(page.getByTestId("notebook-link")).toBeVisible({ timeout: 120_000 });
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");

  // Where the portal itself sends them: the environment's state file in its data folder.
  const state = JSON.parse(fs.readFileSync(path.join(portal.dataDir, "local", envId, "state.json"), "utf8")) as {
    ports: { notebook: number; dashboard: number };
    notebookToken: string;
  };
  const token = { authorization: `token ${state.notebookToken}` };
  const withCookie = { cookie };
  const notebookPath = `/environments/${envId}/notebook`;
  const dashboardPath = `/environments/${envId}/dashboard`;
  const direct = { notebook: `http://127.0.0.1:${state.ports.notebook}${notebookPath}`, dashboard: `http://127.0.0.1:${state.ports.dashboard}${dashboardPath}` };
  const viaPortal = { notebook: `${portal.url}${notebookPath}`, dashboard: `${portal.url}${dashboardPath}` };

  // The first request of the session: nothing is cached in the proxy yet.
  const t0 = performance.now();
  await get(`${viaPortal.notebook}/api/status`, withCookie);
  const firstPortalMs = Math.round((performance.now() - t0) * 100) / 100;

  const rows: ProxyRow[] = [];
  rows.push(
    await compare("HTTP GET JupyterLab `/api/status`", N, () => get(`${direct.notebook}/api/status`, token), () => get(`${viaPortal.notebook}/api/status`, withCookie)),
  );
  let n = 0;
  rows.push(
    await compare(
      "HTTP GET JupyterLab `/api/status`, authorisation not cached (new cookie string each time)",
      N_SMALL,
      () => get(`${direct.notebook}/api/status`, token),
      () => get(`${viaPortal.notebook}/api/status`, { cookie: `${cookie}; bench=${n++}` }),
    ),
  );
  rows.push(
    await compare("HTTP GET Dask dashboard `/health`", N, () => get(`${direct.dashboard}/health`, {}), () => get(`${viaPortal.dashboard}/health`, withCookie)),
  );

  // One kernel, started directly; both sockets talk to it.
  const started = await fetch(`${direct.notebook}/api/kernels`, { method: "POST", headers: { ...token, "content-type": "application/json" }, body: JSON.stringify({ name: "python3" }) });
  if (!started.ok) throw new Error(`starting a kernel answered ${started.status}`);
  const kernel = (await started.json()) as { id: string };
  // http:// addresses: the client sends the upgrade itself.
  const channels = (base: string) => `${base}/api/kernels/${kernel.id}/channels`;
  try {
    const session = randomUUID();
    const directWs = await MiniSocket.open(`${channels(direct.notebook)}?session_id=${session}`, token);
    const portalWs = await MiniSocket.open(`${channels(viaPortal.notebook)}?session_id=${randomUUID()}`, withCookie);
    // The kernel answers its first request slowly (it is still starting): one untimed each.
    await kernelInfo(directWs, session);
    await kernelInfo(portalWs, session);
    rows.push(await compare("WebSocket round trip (kernel channel, `kernel_info_request`)", N, () => kernelInfo(directWs, session), () => kernelInfo(portalWs, session)));
    directWs.close();
    portalWs.close();
    rows.push(
      await compare(
        "WebSocket open (kernel channel upgrade; the portal authorises every open)",
        N_SMALL,
        async () => (await MiniSocket.open(`${channels(direct.notebook)}?session_id=${randomUUID()}`, token)).close(),
        async () => (await MiniSocket.open(`${channels(viaPortal.notebook)}?session_id=${randomUUID()}`, withCookie)).close(),
      ),
    );
  } finally {
    await fetch(`${direct.notebook}/api/kernels/${kernel.id}`, { method: "DELETE", headers: token });
  }

  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const results = { date: new Date().toISOString().slice(0, 10), load, commit, rows, firstPortalMs };
  saveProxyResults(results);
  fs.writeFileSync(reportFile, withProxySection(fs.readFileSync(reportFile, "utf8"), loadProxyResults()));

  // Tear the environment down through the page, as an attendee would.
  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
});
