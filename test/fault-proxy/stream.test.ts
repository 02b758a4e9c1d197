// The live stream of the AWS provider in event mode, driven through the stream hub
// against moto behind the fault proxy. Moto is not Fargate: the harness starts the
// tasks and writes their log lines (PutLogEvents) straight to moto, as Fargate and the
// awslogs driver would, while every call of the portal goes through the proxy.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

process.env.PORTAL_DATA_DIR = mkdtempSync(path.join(tmpdir(), "stream-faults-"));
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

import { createEnvironmentOnce, upsertAttendee } from "@/lib/db/queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { createAwsProvider, loadAwsConfig } from "@/lib/providers/aws";
import type { Cadence } from "@/lib/providers/aws/config";
import type { EnvironmentSink } from "@/lib/stream/environment-stream";
import { StreamHub } from "@/lib/stream/hub";
import { RoomStream } from "@/lib/room/room-stream";
import { RoomSignal } from "@/lib/room/signal";
import type { EnvironmentEvents, FrameOf, RoomEvents } from "@/lib/stream/protocol";
import { deployEventStack, motoTemplateTransform, putLogLines, runTask } from "../moto/index.mjs";
import { startFaultProxy } from "./index.mjs";

const moto = inject("motoEndpoint");
const eventStack = "faults-event";
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;

function provider(cadence?: Partial<Cadence>) {
  const config = loadAwsConfig(
    {
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: proxy.endpoint,
      PORTAL_AWS_MODE: "event",
      PORTAL_EVENT_STACK: eventStack,
      PORTAL_EVENT_ID: eventStack,
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
    },
    { templateTransform: motoTemplateTransform },
  );
  return createAwsProvider({ ...config, cadence: { ...config.cadence, ...cadence } });
}

/** An attendee's environment, deployed and running a scheduler and two workers. */
async function runningEnvironment(name: string): Promise<EnvironmentRow> {
  const attendee = upsertAttendee({ email: `${name}@example.org`, name });
  const { row } = createEnvironmentOnce({ attendeeId: attendee.id, provider: "aws", stackName: `dask-${name}`, desiredWorkers: 2 });
  const deployer = provider();
  const ref = { id: row.id, stackName: row.stackName, attendeeId: attendee.id, attendeeEmail: attendee.email };
  await deployer.deploy(ref, { workers: 2 });
  const scheduler = await runTask(moto, { stackName: row.stackName, role: "scheduler" });
  for (let i = 0; i < 2; i++) await runTask(moto, { stackName: row.stackName, role: "worker" });
  return { ...row, streamCursor: null, deletedAt: null, ...{ schedulerTask: scheduler } } as EnvironmentRow & { schedulerTask: string };
}

/** A browser tab: records what it receives, in order. */
type StreamEvent = FrameOf<EnvironmentEvents>;

class Tab implements EnvironmentSink {
  events: StreamEvent[] = [];
  closed?: string;
  private stop = () => {};
  send(event: StreamEvent) {
    this.events.push(event);
    return true;
  }
  close(reason: string) {
    this.closed = reason;
  }
  open(hub: StreamHub, row: EnvironmentRow, lastEventId: number | null) {
    // As the route does: the stream comes from the store's row, with its saved cursor.
    this.stop = hub.streamById(row.id)!.subscribe(this, lastEventId);
    return this;
  }
  leave() {
    this.stop();
  }
  get lastId() {
    return this.events.at(-1)?.id ?? null;
  }
  logTexts() {
    return this.events.filter((e) => e.event === "log").map((e) => (e.data as { text: string }).text);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  proxy = await startFaultProxy({ target: moto });
  await deployEventStack(moto, { stackName: eventStack, eventId: eventStack });
});
afterAll(() => proxy.close());

describe("AWS calls and viewers", () => {
  it("do not grow when the viewers of a fixed set of environments double", async () => {
    const rows = [];
    for (const name of ["calls-bo", "calls-cy", "calls-di"]) rows.push(await runningEnvironment(name));
    const hub = new StreamHub(provider({ logsMs: 1_000, changingMs: 2_000, settledMs: 30_000 }));
    const tabs = rows.map((row) => new Tab().open(hub, row, null));
    const window = 12_000;
    const measure = async () => {
      proxy.counts(true);
      await sleep(window);
      return proxy.counts(true) as { calls: Record<string, number>; total: number };
    };
    await sleep(4_000);
    const one = await measure();
    tabs.push(...rows.map((row) => new Tab().open(hub, row, null)));
    const two = await measure();
    tabs.push(...rows.flatMap((row) => [new Tab().open(hub, row, null), new Tab().open(hub, row, null)]));
    const four = await measure();
    for (const tab of tabs) tab.leave();

    // The noise of one polling cycle: one call per API, and the jitter of the log timer.
    const apis = new Set([...Object.keys(one.calls), ...Object.keys(two.calls), ...Object.keys(four.calls)]);
    const noise = apis.size + 3;
    expect(Math.abs(two.total - one.total)).toBeLessThanOrEqual(noise);
    expect(Math.abs(four.total - one.total)).toBeLessThanOrEqual(noise);
    // One log cursor for the whole room: about one read per second, not one per environment.
    expect(one.calls["logs.FilterLogEvents"] ?? 0).toBeLessThanOrEqual(window / 1_000 + 3);
    expect(tabs.every((tab) => tab.events.some((e) => e.event === "snapshot"))).toBe(true);
  });
});

describe("the facilitator's room stream", () => {
  it("sends an attendee's roster row when it changes, not with every log line of their environment", async () => {
    const rows = [];
    for (const name of ["room-fay", "room-gus"]) rows.push(await runningEnvironment(name));
    const hub = new StreamHub(provider({ logsMs: 500, changingMs: 2_000, settledMs: 30_000 }));
    const room = new RoomStream(hub, new RoomSignal(), "usd");
    const frames: FrameOf<RoomEvents>[] = [];
    const stop = room.subscribe({ send: (e) => frames.push(e) > 0, close: () => {} }, null);
    const tab = new Tab().open(hub, rows[0], null);
    await sleep(5_000);

    frames.length = 0;
    const tasks = rows.map((row) => (row as EnvironmentRow & { schedulerTask: string }).schedulerTask);
    for (let n = 0; n < 20; n++) {
      await Promise.all(rows.map((row, i) => putLogLines(moto, { stackName: row.stackName, role: "scheduler", taskId: tasks[i], lines: [{ text: `room ${n}` }] })));
      await sleep(300);
    }
    await until("the lines on the attendee's page", () => tab.logTexts().includes("room 19"), 20_000);
    await sleep(2_000);
    stop();
    tab.leave();

    // Each log line made a snapshot; a roster row went out only where the row itself changed.
    const sent = frames.filter((e) => e.event === "roster").flatMap((e) => (e.data as { rows: { attendeeId: string }[] }).rows);
    const texts = sent.map((row) => JSON.stringify(row));
    expect(new Set(texts).size).toBe(texts.length);
    expect(sent.length).toBeLessThan(20);
  });
});

describe("a stream through throttling, an outage, a reconnect and a restart", () => {
  it("delivers every log line the tasks wrote, in order, exactly once", async () => {
    const row = await runningEnvironment("faults-ada");
    const task = (row as EnvironmentRow & { schedulerTask: string }).schedulerTask;
    const written: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const text = `line ${String(n).padStart(4, "0")}`;
        await putLogLines(moto, { stackName: row.stackName, role: "scheduler", taskId: task, lines: [{ text }] });
        written.push(text);
        await sleep(150);
      }
    })();

    proxy.configure({ throttleShare: 0.3 });
    const hub1 = new StreamHub(provider());
    const first = new Tab().open(hub1, row, null);
    await sleep(6_000);

    // A 20 s outage in the middle: the page shows it and the tab reconnects during it.
    proxy.configure({ downForMs: 20_000 });
    await until("the outage to show", () => first.events.some((e) => e.event === "degraded" && (e.data as { message: string | null }).message !== null), 15_000);
    first.leave();
    const second = new Tab().open(hub1, row, first.lastId);
    await sleep(20_000);
    await until("the stream to recover", () => second.events.some((e) => e.event === "degraded" && (e.data as { message: string | null }).message === null), 30_000);
    await sleep(4_000);

    // A portal restart: a new provider and hub resume from the store, still throttled.
    second.leave();
    proxy.configure({ throttleShare: 0 });
    await sleep(5_000);
    proxy.configure({ throttleShare: 0.3 });
    const hub2 = new StreamHub(provider());
    const third = new Tab().open(hub2, row, second.lastId);
    await sleep(5_000);
    writing = false;
    await writer;
    proxy.configure({ throttleShare: 0 });
    const received = () => [...first.logTexts(), ...second.logTexts(), ...third.logTexts()].filter((t) => t.startsWith("line "));
    await until("every line", () => received().length >= written.length, 30_000);
    await sleep(3_000);
    third.leave();

    expect(written.length).toBeGreaterThan(100);
    expect(received()).toEqual(written);
    for (const tab of [first, second, third]) {
      const ids = tab.events.filter((e) => e.event !== "snapshot").map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      expect(tab.closed).toBeUndefined();
    }
    expect((proxy.counts() as { throttled: object }).throttled).not.toEqual({});
  });
});

describe("a browser that cannot keep up", () => {
  it("is dropped with a reason and resumes where it stopped", async () => {
    const row = await runningEnvironment("slow-eve");
    const hub = new StreamHub(provider());
    const reader = new Tab().open(hub, row, null);
    await until("the first events", () => reader.events.length > 0, 30_000);
    reader.leave();
    const slow = new Tab();
    slow.send = () => false;
    slow.open(hub, row, 0);
    expect(slow.closed).toMatch(/could not keep up/);
    const resumed = new Tab().open(hub, row, 0);
    const seen = reader.events.filter((e) => e.event !== "snapshot").map((e) => e.id);
    expect(resumed.events.filter((e) => e.event !== "snapshot").map((e) => e.id).slice(0, seen.length)).toEqual(seen);
    resumed.leave();
  });
});
