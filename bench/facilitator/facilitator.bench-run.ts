// The facilitator page with the AWS provider against moto and a room of 200 environments
// (BENCH_ATTENDEES sets another size): how long /facilitator takes to arrive (first byte and
// full HTML), how many frames its live stream carries a minute, and how long a change in the
// room (Fargate stopping a worker) takes to reach that stream as a roster event. Moto is a control-plane emulator; the harness (test/moto) plays Fargate: it
// starts each environment's scheduler and two workers with RunTask and stops one with
// StopTask and a reason, as Fargate would. Writes bench/facilitator/REPORT.md and
// results.json. It measures and reports; it never passes or fails on timing.
import { createParser } from "eventsource-parser";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, it } from "vitest";
import { freePort } from "../../e2e/support/portal-server";
import {
  deployEventStack,
  holdTaskStates,
  motoCredentials,
  motoRegion,
  motoTemplateTransform,
  putLogLines,
  runTask,
  startMoto,
  stopTask,
} from "../../test/moto/index.mjs";

const ATTENDEES = Number(process.env.BENCH_ATTENDEES ?? 200);
const PAGE_SAMPLES = Number(process.env.BENCH_PAGE_SAMPLES ?? 10);
const STREAM_SAMPLES = Number(process.env.BENCH_STREAM_SAMPLES ?? 6);
/** How long the stream is watched while nothing in the room changes. */
const QUIET_MS = Number(process.env.BENCH_QUIET_MS ?? 60_000);
const EVENT = "bench-event";
const PASSWORD = "bench-facilitator-password";
const here = path.resolve("bench/facilitator");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-facilitator-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const ms = (start: number) => Math.round(performance.now() - start);

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { n: sorted.length, median: at(0.5), p95: at(0.95), min: sorted[0], max: sorted[sorted.length - 1] };
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** The built portal, started the way `make start` starts it. */
async function startPortal(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; output: string[] }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(process.execPath, [path.join("scripts", "start.mjs")], {
    env: { ...process.env, ...env, PORT: String(port), NEXTAUTH_URL: url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d) => output.push(String(d)));
  child.stderr?.on("data", (d) => output.push(String(d)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portal exited:\n${output.join("")}`);
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok).catch(() => false);
    if (ok) return { url, child, output };
    if (Date.now() > deadline) throw new Error(`portal did not answer within 60 s:\n${output.join("")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Cookies as a browser would keep them (name=value only). */
class Jar {
  private cookies = new Map<string, string>();
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** Signs in through next-auth's credentials callback with its CSRF token, as the sign-in form does. */
async function signInAsFacilitator(url: string): Promise<Jar> {
  const jar = new Jar();
  const csrf = await fetch(`${url}/api/auth/csrf`);
  jar.take(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await fetch(`${url}/api/auth/callback/facilitator`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header() },
    body: new URLSearchParams({ csrfToken, password: PASSWORD, json: "true", callbackUrl: `${url}/facilitator` }),
  });
  jar.take(response);
  if (!jar.header().includes("session-token")) throw new Error(`facilitator sign-in failed: ${response.status}`);
  return jar;
}

/** One GET /facilitator: the first byte of its HTML (what a browser can start painting on) and the last. */
async function loadPage(url: string, jar: Jar): Promise<{ ms: number; firstByteMs: number; bytes: number; rows: number }> {
  const start = performance.now();
  const response = await fetch(`${url}/facilitator`, { headers: { cookie: jar.header() }, redirect: "manual" });
  if (response.status !== 200 || !response.body) throw new Error(`/facilitator answered ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let html = "";
  let firstByteMs: number | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    firstByteMs ??= ms(start);
    html += value;
  }
  return { ms: ms(start), firstByteMs: firstByteMs ?? ms(start), bytes: html.length, rows: html.split('data-testid="roster-row"').length - 1 };
}

interface RosterRow {
  attendeeId: string;
  envStatus: string;
  workersRunning: number;
  lastError: string | null;
}

/** The facilitator's live stream, parsed into events; `waitFor` resolves on the first matching roster row. */
class RoomStream {
  private waiters = new Set<{ match: (row: RosterRow) => boolean; resolve: (at: number) => void }>();
  readonly rows = new Map<string, RosterRow>();
  private abort = new AbortController();
  rosterEvents = 0;
  /** Every named frame the stream has carried (snapshot, roster, announcement, …), and its bytes. */
  frames = 0;
  bytes = 0;

  async open(url: string, jar: Jar): Promise<void> {
    const response = await fetch(`${url}/api/facilitator/events`, { headers: { cookie: jar.header() }, signal: this.abort.signal });
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = createParser({ onEvent: (frame) => this.handle(frame.event, frame.data) });
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done || value === undefined) return;
        this.bytes += value.length;
        parser.feed(value);
      }
    })();
  }

  private handle(event: string | undefined, data: string) {
    if (event) this.frames++;
    if (event !== "snapshot" && event !== "roster") return;
    const at = performance.now();
    const rows = (JSON.parse(data) as { rows: RosterRow[] }).rows;
    if (event === "roster") this.rosterEvents++;
    for (const row of rows) {
      this.rows.set(row.attendeeId, row);
      for (const waiter of this.waiters) {
        if (waiter.match(row)) {
          this.waiters.delete(waiter);
          waiter.resolve(at);
        }
      }
    }
  }

  waitFor(match: (row: RosterRow) => boolean, timeoutMs: number): Promise<number | null> {
    return new Promise((resolve) => {
      const waiter = { match, resolve: (at: number) => (clearTimeout(timer), resolve(at)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(null);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  close() {
    this.abort.abort();
  }
}

// Seeding creates the stacks one at a time; a bigger room (or a busy machine) needs longer.
it(`facilitator page and live stream with ${ATTENDEES} environments on moto`, { timeout: Math.max(20, ATTENDEES / 8) * 60_000 }, async () => {
  const t0 = performance.now();
  const moto = await startMoto();
  cleanups.push(() => moto.stop());
  await holdTaskStates(moto.endpoint);
  await deployEventStack(moto.endpoint, { stackName: EVENT, eventId: EVENT });

  const portalEnv: Record<string, string> = {
    PORTAL_PROVIDER: "aws",
    PORTAL_DATA_DIR: dataDir,
    AWS_REGION: motoRegion,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
    PORTAL_AWS_MODE: "event",
    PORTAL_EVENT_STACK: EVENT,
    PORTAL_EVENT_ID: EVENT,
    PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
    DASK_IMAGE: "123456789012.dkr.ecr.us-east-1.amazonaws.com/dask-workshop:harness",
    PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
    EVENT_JOIN_CODE: "BENCH-JOIN",
    FACILITATOR_PASSWORD: PASSWORD,
    NEXTAUTH_SECRET: "bench-secret-not-for-production-use-0000",
  };
  // The store functions read PORTAL_DATA_DIR when they first open the database.
  Object.assign(process.env, portalEnv);
  const { createEnvironmentOnce, updateEnvironment } = await import("@/lib/db/environment-queries");
  const { upsertAttendee } = await import("@/test/support/seed");
  const { createAwsProvider, loadAwsConfig } = await import("@/lib/providers/aws");
  const { parseCallBudget } = await import("@/lib/providers/aws/config");

  // The room: attendees and environments in a fresh SQLite, stacks created by the provider.
  const seeder = createAwsProvider(
    loadAwsConfig(portalEnv, { templateTransform: motoTemplateTransform, callBudget: parseCallBudget("cfn-write=100,cfn-read=100") }),
  );
  const room = Array.from({ length: ATTENDEES }, (_, i) => {
    const attendee = upsertAttendee({ email: `bench-${i}@example.org`, name: `Bench Attendee ${String(i).padStart(3, "0")}` });
    const { row } = createEnvironmentOnce({ attendeeId: attendee.id, provider: "aws", stackName: `dask-bench-${i}`, desiredWorkers: 2 });
    return { attendeeId: attendee.id, envId: row.id, stackName: row.stackName, email: attendee.email };
  });
  const seedStart = performance.now();
  // One at a time: moto's CloudFormation answers 500 to concurrent CreateStack calls now and then.
  await inBatches(room, 1, (e) =>
    seeder.deploy({ id: e.envId, stackName: e.stackName, attendeeId: e.attendeeId, attendeeEmail: e.email }, { workers: 2 }),
  );
  const stacksMs = ms(seedStart);
  const workers = new Map<string, string[]>();
  const tasksStart = performance.now();
  await inBatches(room, 2, async (e) => {
    const scheduler = await runTask(moto.endpoint, { stackName: e.stackName, role: "scheduler" });
    const ids = [await runTask(moto.endpoint, { stackName: e.stackName, role: "worker" }), await runTask(moto.endpoint, { stackName: e.stackName, role: "worker" })];
    workers.set(e.stackName, ids);
    await putLogLines(moto.endpoint, { stackName: e.stackName, role: "scheduler", taskId: scheduler, lines: [{ text: "distributed.scheduler - INFO -   Scheduler at:   tcp://10.20.0.10:8786" }] });
    updateEnvironment(e.envId, { status: "CREATE_COMPLETE", runningWorkers: 2 });
  });
  const tasksMs = ms(tasksStart);

  const portal = await startPortal(portalEnv);
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (portal.child.exitCode !== null) return resolve(undefined);
        portal.child.once("exit", resolve);
        portal.child.kill("SIGTERM");
        setTimeout(() => portal.child.kill("SIGKILL"), 10_000).unref();
      }),
  );
  const jar = await signInAsFacilitator(portal.url);

  // First load after start, then loads of a quiet portal (nobody watching the stream yet).
  const cold = await loadPage(portal.url, jar);
  const quiet = [];
  for (let i = 0; i < PAGE_SAMPLES; i++) quiet.push(await loadPage(portal.url, jar));

  // The live stream: the facilitator's one connection makes the portal follow every environment.
  const stream = new RoomStream();
  const connectStart = performance.now();
  await stream.open(portal.url, jar);
  const warmAt = await stream.waitFor(() => stream.rows.size >= ATTENDEES, 60_000);
  const snapshotMs = warmAt === null ? null : Math.round(warmAt - connectStart);
  cleanups.push(() => stream.close());

  // Loads while the stream is live and every environment is being followed.
  const live = [];
  for (let i = 0; i < PAGE_SAMPLES; i++) live.push(await loadPage(portal.url, jar));

  // Frames a minute while nothing in the room changes: what an idle facilitator tab receives.
  const quietFrom = { frames: stream.frames, bytes: stream.bytes, at: performance.now() };
  await new Promise((r) => setTimeout(r, QUIET_MS));
  const quietMin = (performance.now() - quietFrom.at) / 60_000;
  const quietFramesPerMin = Number(((stream.frames - quietFrom.frames) / quietMin).toFixed(1));
  const quietKiBPerMin = Number(((stream.bytes - quietFrom.bytes) / 1024 / quietMin).toFixed(1));

  // Change → roster event: Fargate stops a worker with a reason; the row must show it.
  const busyFrom = { frames: stream.frames, bytes: stream.bytes, at: performance.now() };
  const cycles: { stack: string; ms: number | null }[] = [];
  for (let i = 0; i < STREAM_SAMPLES; i++) {
    const e = room[Math.floor(((i + 0.5) * ATTENDEES) / STREAM_SAMPLES)];
    const taskId = workers.get(e.stackName)![0];
    const reason = `Spot interruption (bench sample ${i})`;
    const seen = stream.waitFor((row) => row.attendeeId === e.attendeeId && (row.lastError ?? "").includes(reason), 120_000);
    const start = performance.now();
    await stopTask(moto.endpoint, { stackName: e.stackName, taskId, reason });
    const at = await seen;
    cycles.push({ stack: e.stackName, ms: at === null ? null : Math.round(at - start) });
    console.log(JSON.stringify(cycles[cycles.length - 1]));
    // ECS replaces the task, and the room settles again before the next sample.
    const replacement = await runTask(moto.endpoint, { stackName: e.stackName, role: "worker" });
    workers.set(e.stackName, [replacement, workers.get(e.stackName)![1]]);
    await stream.waitFor((row) => row.attendeeId === e.attendeeId && row.workersRunning === 2, 120_000);
  }

  const busyMin = (performance.now() - busyFrom.at) / 60_000;
  const busyFramesPerMin = Number(((stream.frames - busyFrom.frames) / busyMin).toFixed(1));
  const busyKiBPerMin = Number(((stream.bytes - busyFrom.bytes) / 1024 / busyMin).toFixed(1));

  // What the facilitator's preflight costs with this room (a provider of its own, with its own call budget).
  const preflightStart = performance.now();
  const preflight = await createAwsProvider(loadAwsConfig(portalEnv)).cloud!.preflight(ATTENDEES);
  const preflightMs = ms(preflightStart);

  const results = {
    attendees: ATTENDEES,
    seeding: { stacksMs, tasksMs },
    page: { cold, quiet: stats(quiet.map((s) => s.ms)), live: stats(live.map((s) => s.ms)), bytes: live.at(-1)?.bytes, rows: live.at(-1)?.rows },
    stream: {
      snapshotMs,
      rosterEvents: stream.rosterEvents,
      quietFramesPerMin,
      quietKiBPerMin,
      busyFramesPerMin,
      busyKiBPerMin,
      cycles,
      cycle: stats(cycles.flatMap((c) => (c.ms === null ? [] : [c.ms]))),
    },
    preflight: { ms: preflightMs, fargate: preflight.lines[0] },
    totalSeconds: Math.round(ms(t0) / 1000),
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    machine: { cpu: `${os.cpus()[0]?.model ?? "unknown"} × ${os.cpus().length}`, memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`, node: process.version, load: os.loadavg().map((l) => l.toFixed(2)).join(" ") },
  };
  // One run per room size: this run replaces an earlier one of the same size and keeps the others.
  const file = path.join(here, "results.json");
  const earlier: Results[] = fs.existsSync(file) ? [JSON.parse(fs.readFileSync(file, "utf8"))].flat() : [];
  const runs = [...earlier.filter((r) => r.attendees !== ATTENDEES), results].sort((a, b) => a.attendees - b.attendees);
  fs.writeFileSync(file, `${JSON.stringify(runs, null, 2)}\n`);
  fs.writeFileSync(path.join(here, "REPORT.md"), report(results, runs));
});

type Results = {
  attendees: number;
  seeding: { stacksMs: number; tasksMs: number };
  page: { cold: { ms: number; firstByteMs?: number; bytes: number; rows: number }; quiet: ReturnType<typeof stats>; live: ReturnType<typeof stats>; bytes?: number; rows?: number };
  stream: {
    snapshotMs: number | null;
    rosterEvents: number;
    quietFramesPerMin?: number;
    quietKiBPerMin?: number;
    busyFramesPerMin?: number;
    busyKiBPerMin?: number;
    cycles: { stack: string; ms: number | null }[];
    cycle: ReturnType<typeof stats>;
  };
  preflight: { ms: number; fargate: { sentence: string } };
  totalSeconds: number;
  date?: string;
  machine: { cpu: string; memory: string; node: string; load: string };
};

function report(r: Results, runs: Results[]): string {
  const row = (label: string, s: ReturnType<typeof stats>) => `| ${label} | ${s.n} | ${s.median} | ${s.p95} | ${s.min} | ${s.max} |`;
  const missed = r.stream.cycles.filter((c) => c.ms === null).length;
  return [
    `# Facilitator page and live stream: AWS provider, ${r.attendees}-environment room on moto`,
    "",
    `Generated by \`make bench-facilitator\` on ${new Date().toISOString().slice(0, 10)} (${r.totalSeconds} s in all).`,
    `Moto server on loopback holds the event stack and ${r.attendees} attendee stacks created by the AWS provider;`,
    "the harness (test/moto) plays Fargate: a scheduler and two workers per environment, started with RunTask.",
    "The portal is the built app started as `make start` starts it (`scripts/start.mjs`), event mode, default",
    "call budget and cadence. The facilitator signs in through next-auth's credentials callback with its CSRF token.",
    "",
    "| measure | samples | median (ms) | p95 (ms) | min (ms) | max (ms) |",
    "|---|---|---|---|---|---|",
    `| GET /facilitator, first load after start: first byte | 1 | ${r.page.cold.firstByteMs} | | | |`,
    `| GET /facilitator, first load after start: last byte | 1 | ${r.page.cold.ms} | | | |`,
    row("GET /facilitator, nobody watching the stream", r.page.quiet),
    row("GET /facilitator, stream open, every environment followed", r.page.live),
    row("Worker stopped by Fargate → roster event with its reason", r.stream.cycle),
    "",
    `- Page: ${Math.round((r.page.bytes ?? 0) / 1024)} KiB of HTML with ${r.page.rows} roster rows drawn (the table shows 25 a page; the`,
    `  page's data carries all ${r.attendees} attendees); times are to the last byte.`,
    `- Stream: the opening snapshot (all ${r.attendees} rows, from the store) arrived ${r.stream.snapshotMs ?? "—"} ms after connecting;`,
    `  ${r.stream.rosterEvents} roster events arrived during the run.${missed ? ` ${missed} change(s) did not arrive within 120 s.` : ""}`,
    `- Stream frames a minute: ${r.stream.quietFramesPerMin} (${r.stream.quietKiBPerMin} KiB) over ${QUIET_MS / 1000} s with nothing changing in the room;`,
    `  ${r.stream.busyFramesPerMin} (${r.stream.busyKiBPerMin} KiB) while workers were being stopped and replaced (the samples above).`,
    `- Per sample (ms): ${r.stream.cycles.map((c) => `${c.stack} ${c.ms ?? "timeout"}`).join(", ")}.`,
    `- Preflight with this room took ${r.preflight.ms} ms: "${r.preflight.fargate.sentence}"`,
    `- Seeding (not measured above): ${r.attendees} stacks in ${Math.round(r.seeding.stacksMs / 1000)} s, ${r.attendees * 3} tasks in ${Math.round(r.seeding.tasksMs / 1000)} s.`,
    "",
    "## Reading it",
    "",
    "The page is rendered from the store and the stream hub's last snapshots, never from AWS, so its",
    "time grows with the roster's size (rows of HTML), not with AWS calls; the first load after start",
    "also pays for loading the route's code. A change in the room reaches the facilitator after the",
    "portal next reads the event cluster's tasks. In a room where nothing is expected to change, that",
    "read happens at the settled cadence (`PORTAL_AWS_POLL_MS` settled, 30 s by default), so the update",
    `cycle measured here (median ${r.stream.cycle.median ?? "—"} ms) is that cadence, not the cost of the`,
    "calls or of the stream: shortening it trades AWS read calls for freshness. Once an environment is",
    "changing (for example right after the stop, while its service is one worker short) it is read every",
    "2 s; a sample that falls while the room is still changing (the first one here, shortly after the",
    "portal started and adopted every stack) arrives correspondingly sooner. Moto answers faster than",
    "AWS, and its tasks carry no size, so these figures are the portal's own share of the wait. The",
    "preflight's time is its paged reads (ListTasks, DescribeTasks in hundreds) through the default",
    "call budget, which spreads them out on purpose.",
    "",
    "## Room sizes",
    "",
    "Each size's latest run (results.json keeps one a size; rerun one with `BENCH_ATTENDEES=<n> make bench-facilitator`).",
    "Runs of different sizes ran at different times on a shared machine: compare them with their load in mind.",
    "",
    "| environments | run on | first load: first byte (ms) | first load: last byte (ms) | page, stream open, median (ms) | HTML KiB | opening snapshot (ms) | frames / min, quiet | frames / min, workers replaced | change → roster, median (ms) | load at the end |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...runs.map(
      (x) =>
        `| ${x.attendees} | ${x.date ?? "–"} | ${x.page.cold.firstByteMs ?? "–"} | ${x.page.cold.ms} | ${x.page.live.median} | ${Math.round((x.page.bytes ?? 0) / 1024)} | ` +
        `${x.stream.snapshotMs ?? "–"} | ${x.stream.quietFramesPerMin ?? "–"} | ${x.stream.busyFramesPerMin ?? "–"} | ${x.stream.cycle.median ?? "–"} | ${x.machine.load} |`,
    ),
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${r.machine.cpu} |`,
    `| memory | ${r.machine.memory} |`,
    `| Node.js | ${r.machine.node} |`,
    `| load average at the end | ${r.machine.load} |`,
    "",
  ].join("\n");
}
