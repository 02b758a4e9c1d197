// The live stream of the AWS provider in event mode, driven through the stream watchers
// against moto behind the fault proxy. Moto is not Fargate: the harness starts the
// tasks and writes their log lines (PutLogEvents) straight to moto, as Fargate and the
// awslogs driver would, while every call of the portal goes through the proxy.
// Waits are on conditions; the only fixed waits are the windows in which calls are
// counted or an absence is observed, and they say so.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

process.env.PORTAL_DATA_DIR = mkdtempSync(path.join(tmpdir(), "stream-faults-"));
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

import { createEnvironmentOnce } from "@/lib/db/environment-queries";
import { upsertAttendee } from "@/test/support/seed";
import type { EnvironmentRow } from "@/lib/db/schema";
import { createAwsProvider, loadAwsConfig } from "@/lib/providers/aws";
import type { Cadence } from "@/lib/providers/aws/config";
import { Watchers } from "@/lib/environments/watchers";
import { RoomStream } from "@/lib/room/room-stream";
import { RoomSignal } from "@/lib/room/signal";
import type { EnvironmentEvents, FrameOf, RoomEvents, RosterRow } from "@/lib/stream/protocol";
import { deployEventStack, motoTemplateTransform, putLogLines, runTask, stopTask } from "../moto/index.mjs";
import { startFaultProxy } from "./index.mjs";
import { RecordingTab } from "@/test/support/tab";

const moto = inject("motoEndpoint");
const eventStack = "faults-event";
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;

function provider(cadence?: Partial<Cadence>) {
  const config = loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: proxy.endpoint,
      PORTAL_AWS_MODE: "event",
      PORTAL_EVENT_STACK: eventStack,
      PORTAL_EVENT_ID: eventStack,
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
    },
    { templateTransform: motoTemplateTransform },
  );
  return createAwsProvider({ ...config, cadence: { ...config.cadence, ...cadence } });
}

type Running = EnvironmentRow & { scheduler: string; workers: string[] };

/** An attendee's environment, deployed and running a scheduler and two workers. */
async function runningEnvironment(name: string): Promise<Running> {
  const attendee = upsertAttendee({ email: `${name}@example.org`, name });
  const { row } = createEnvironmentOnce({ attendeeId: attendee.id, provider: "aws", stackName: `dask-${name}`, desiredWorkers: 2 });
  const ref = { id: row.id, stackName: row.stackName, attendeeId: attendee.id, attendeeEmail: attendee.email };
  await provider().deploy(ref, { workers: 2 });
  const scheduler = await runTask(moto, { stackName: row.stackName, role: "scheduler" });
  const workers = [await runTask(moto, { stackName: row.stackName, role: "worker" }), await runTask(moto, { stackName: row.stackName, role: "worker" })];
  return { ...row, streamCursor: null, deletedAt: null, scheduler, workers };
}

const schedulerLine = (env: Running, text: string) => putLogLines(moto, { stackName: env.stackName, role: "scheduler", taskId: env.scheduler, lines: [{ text }] });

/** A browser tab: records what it receives, in order. */
class Tab extends RecordingTab<EnvironmentEvents> {
  private unsubscribe = () => {};
  open(watchers: Watchers, row: EnvironmentRow, lastEventId: number | null) {
    // As the route does: the stream comes from the store's row, with its saved cursor.
    this.unsubscribe = watchers.watchById(row.id)!.subscribe(this, lastEventId);
    return this;
  }
  leave() {
    this.unsubscribe();
  }
  logTexts() {
    return this.dataOf("log").map((line) => line.text);
  }
  degraded(): string | null | undefined {
    return this.last("degraded")?.data.message;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  proxy = await startFaultProxy({ target: moto });
  await deployEventStack(moto, { stackName: eventStack, eventId: eventStack });
});
afterAll(() => proxy.close());

describe("AWS calls and viewers", () => {
  it("do not grow when the viewers of a fixed set of environments double, while every viewer gets every line", async () => {
    const envs: Running[] = [];
    for (const name of ["calls-bo", "calls-cy", "calls-di"]) envs.push(await runningEnvironment(name));
    const watchers = new Watchers(provider({ logsMs: 1_000, changingMs: 2_000, settledMs: 30_000 }));
    const tabs = envs.map((env) => new Tab().open(watchers, env, null));
    await until("every tab's first snapshot", () => tabs.every((t) => t.frames.some((e) => e.event === "snapshot")), 30_000);

    const window = 12_000;
    let round = 0;
    const measure = async () => {
      round += 1;
      proxy.counts(true);
      // The window itself: calls are counted over a fixed stretch of time, with lines being written.
      for (const env of envs) await schedulerLine(env, `round ${round}`);
      await sleep(window);
      return proxy.counts(true) as { calls: Record<string, number>; total: number };
    };
    const one = await measure();
    tabs.push(...envs.map((env) => new Tab().open(watchers, env, null)));
    const two = await measure();
    tabs.push(...envs.flatMap((env) => [new Tab().open(watchers, env, null), new Tab().open(watchers, env, null)]));
    const four = await measure();
    for (const tab of tabs) tab.leave();

    // A lower bound: the room's one log cursor reads about once a second while anyone watches.
    // (Without it, a stream that stopped asking AWS would pass the comparison below.)
    for (const counts of [one, two, four]) expect(counts.calls["logs.FilterLogEvents"] ?? 0).toBeGreaterThanOrEqual(window / 1_000 / 2);
    // One log cursor for the whole room: about one read per second, not one per environment or viewer.
    expect(one.calls["logs.FilterLogEvents"] ?? 0).toBeLessThanOrEqual(window / 1_000 + 3);
    // The noise of one polling cycle: one call per API, and the jitter of the log timer.
    const apis = new Set([...Object.keys(one.calls), ...Object.keys(two.calls), ...Object.keys(four.calls)]);
    const noise = apis.size + 3;
    expect(Math.abs(two.total - one.total)).toBeLessThanOrEqual(noise);
    expect(Math.abs(four.total - one.total)).toBeLessThanOrEqual(noise);
    // And the calls did their work: every tab got every line once (a tab that opened later
    // gets the earlier ones from the stream's history).
    for (const tab of tabs) expect(tab.logTexts().filter((t) => t.startsWith("round "))).toEqual(["round 1", "round 2", "round 3"]);
  });
});

describe("a worker replaced in a settled room", () => {
  it("is followed closely through its tasks while the room's stack pages are not read again", async () => {
    const envs: Running[] = [];
    for (const name of ["pace-ivy", "pace-jon"]) envs.push(await runningEnvironment(name));
    const watchers = new Watchers(provider({ logsMs: 500, changingMs: 500, settledMs: 4_000, settledStacksMs: 600_000 }));
    const tabs = envs.map((env) => new Tab().open(watchers, env, null));
    const workers = (env: Running) => watchers.lastSnapshot(env.id)?.tasks.filter((t) => t.role === "worker" && t.desiredStatus === "RUNNING" && t.lastStatus === "RUNNING") ?? [];
    await until("both environments running their two workers", () => envs.every((env) => workers(env).length === 2), 30_000);

    proxy.counts(true);
    // Fargate stops one of Ivy's workers, and ECS starts its replacement.
    await stopTask(moto, { stackName: envs[0].stackName, taskId: envs[0].workers[0], reason: "Spot interruption: pace" });
    await until("the stopped worker on Ivy's page", () => workers(envs[0]).length === 1, 20_000);
    const replacement = await runTask(moto, { stackName: envs[0].stackName, role: "worker" });
    await until("the replacement on Ivy's page", () => workers(envs[0]).some((t) => t.id === replacement), 20_000);
    const { calls } = proxy.counts(true) as { calls: Record<string, number> };
    for (const tab of tabs) tab.leave();

    // The change was followed through the cluster's task pages…
    expect(calls["ecs.ListTasks"] ?? 0).toBeGreaterThan(0);
    // …while the stacks, none of them in progress, were not read again: before, one
    // environment's replaced worker had the room's DescribeStacks pages read at every poll.
    expect(calls["cloudformation.DescribeStacks"] ?? 0).toBe(0);
  });
});

describe("the facilitator's room stream", () => {
  it("sends an attendee's roster row when it changes, not with every log line of their environment", async () => {
    const envs: Running[] = [];
    for (const name of ["room-fay", "room-gus"]) envs.push(await runningEnvironment(name));
    const watchers = new Watchers(provider({ logsMs: 500, changingMs: 2_000, settledMs: 30_000 }));
    const room = new RoomStream(watchers, new RoomSignal(), "usd");
    const frames: FrameOf<RoomEvents>[] = [];
    const stop = room.subscribe({ send: (e) => frames.push(e) > 0, close: () => {} }, null);
    const tab = new Tab().open(watchers, envs[0], null);
    const rows = () => frames.filter((e) => e.event === "roster").flatMap((e) => (e.event === "roster" ? e.data.rows : []));
    await until("both environments followed with their tasks running", () => watchers.lastSnapshot(envs[1].id)?.tasks.length === 3 && (watchers.lastSnapshot(envs[0].id)?.tasks.length ?? 0) === 3, 30_000);

    frames.length = 0;
    for (let n = 0; n < 20; n++) {
      await Promise.all(envs.map((env) => schedulerLine(env, `room ${n}`)));
      await sleep(300);
    }
    await until("the lines on the attendee's page", () => tab.logTexts().includes("room 19"), 20_000);
    // An observation window: a row that would (wrongly) go out for the last lines has a second to show up.
    await sleep(2_000);
    const forLines = rows();

    // The positive control: Fargate stops one of Gus's workers; his row changes and must go out.
    await stopTask(moto, { stackName: envs[1].stackName, taskId: envs[1].workers[0], reason: "Spot interruption: control" });
    let gus: RosterRow | undefined;
    await until(
      "Gus's row with the stopped worker",
      () => (gus = rows().find((r) => r.attendeeId === envs[1].attendeeId && (r.lastError ?? "").includes("Spot interruption: control"))) !== undefined,
      30_000,
    );
    stop();
    tab.leave();

    // Each log line made a snapshot; a roster row went out only where the row itself changed.
    const texts = forLines.map((row) => JSON.stringify(row));
    expect(new Set(texts).size).toBe(texts.length);
    expect(forLines.length).toBeLessThan(20);
    expect(gus?.workersRunning).toBe(1);
  });
});

describe("a stream through throttling, an outage, a reconnect and a restart", () => {
  it("delivers every log line the tasks wrote, in order, exactly once", async () => {
    const env = await runningEnvironment("faults-ada");
    const written: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const text = `line ${String(n).padStart(4, "0")}`;
        await schedulerLine(env, text);
        written.push(text);
        await sleep(150);
      }
    })();
    const receivedBy = (...tabs: Tab[]) => tabs.flatMap((t) => t.logTexts()).filter((t) => t.startsWith("line "));

    proxy.configure({ throttleShare: 0.3 });
    const hub1 = new Watchers(provider());
    const first = new Tab().open(hub1, env, null);
    await until("the first lines through the throttling", () => receivedBy(first).length >= 20, 30_000);

    // A 20 s outage in the middle: the page shows it and the tab reconnects during it.
    proxy.configure({ downForMs: 20_000 });
    await until("the outage to show", () => typeof first.degraded() === "string", 15_000);
    first.leave();
    const second = new Tab().open(hub1, env, first.lastId());
    await until("the stream to recover after the outage", () => second.degraded() === null, 45_000);
    const afterOutage = written.length;
    await until("lines written after the outage", () => receivedBy(second).includes(written[afterOutage]), 30_000);

    // A portal restart: the first process stops, the tasks keep logging meanwhile, and a new
    // provider and watchers resume from the store, still throttled.
    second.leave();
    hub1.stop();
    proxy.configure({ throttleShare: 0 });
    const whileDown = written.length;
    await until("lines written while the portal is down", () => written.length >= whileDown + 20, 20_000);
    proxy.configure({ throttleShare: 0.3 });
    const hub2 = new Watchers(provider());
    const third = new Tab().open(hub2, env, second.lastId());
    await until("the restarted portal to catch up", () => receivedBy(third).includes(written[whileDown + 19]), 30_000);
    writing = false;
    await writer;
    proxy.configure({ throttleShare: 0 });
    await until("every line", () => receivedBy(first, second, third).length >= written.length, 30_000);
    // An observation window: a line delivered twice would arrive in it.
    await sleep(3_000);
    third.leave();
    hub2.stop();

    expect(written.length).toBeGreaterThan(100);
    expect(receivedBy(first, second, third)).toEqual(written);
    for (const tab of [first, second, third]) {
      const ids = tab.frames.filter((e) => e.event !== "snapshot").map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      expect(tab.closed).toBeUndefined();
    }
    expect((proxy.counts() as { throttled: object }).throttled).not.toEqual({});
  });
});

describe("a browser that cannot keep up", () => {
  it("is dropped with a reason and resumes where it stopped", async () => {
    const env = await runningEnvironment("slow-eve");
    const watchers = new Watchers(provider());
    const reader = new Tab().open(watchers, env, null);
    await until("the first events", () => reader.frames.length > 0, 30_000);
    reader.leave();
    const slow = new Tab();
    slow.send = () => false;
    slow.open(watchers, env, 0);
    expect(slow.closed).toMatch(/could not keep up/);
    const resumed = new Tab().open(watchers, env, 0);
    const seen = reader.frames.filter((e) => e.event !== "snapshot").map((e) => e.id);
    expect(resumed.frames.filter((e) => e.event !== "snapshot").map((e) => e.id).slice(0, seen.length)).toEqual(seen);
    resumed.leave();
    watchers.stop();
  });
});
