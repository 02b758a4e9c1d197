import { describe, expect, it } from "vitest";
import { attendee, environmentRow, fakeTimersPerTest, memoryStorePerTest } from "@/test/support/unit";
import { getEnvironment, providerRef } from "@/lib/db/environment-queries";
import { pruneStreamEvents } from "@/lib/db/stream-queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { FakeProvider } from "@/lib/providers/fake";
import { Watchers } from "./watchers";
import type { EnvironmentEvents } from "@/lib/stream/protocol";
import { RecordingTab } from "@/test/support/tab";

// The environment watchers with the fake provider and an in-memory store, on fake timers: what
// every open page of an environment receives, and what it costs the provider.

class Tab extends RecordingTab<EnvironmentEvents> {
  private unsubscribe = () => {};
  constructor(room = Infinity) {
    super(undefined, room);
  }
  open(watchers: Watchers, row: EnvironmentRow, lastEventId: number | null = null) {
    this.unsubscribe = watchers.watch(row).subscribe(this, lastEventId);
    return this;
  }
  /** The tab is closed: it leaves the stream. */
  stop() {
    this.unsubscribe();
  }
  logs() {
    return this.dataOf("log").map((line) => line.text);
  }
}

memoryStorePerTest();
/** Lets the streams poll for `ms` of (fake) time. */
const pass = fakeTimersPerTest();

async function deployed(fake: FakeProvider, name = "ada") {
  const row = environmentRow(attendee(name).id, `dask-${name}`);
  await fake.deploy(providerRef(row), { workers: 2 });
  fake.settle(row.id);
  return row;
}

describe("an environment's stream", () => {
  it("asks the provider the same however many pages watch, and each page gets every line once, in order", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const watchers = new Watchers(fake);
    const one = new Tab().open(watchers, row);
    await pass(10_000);
    const describesWithOne = fake.callCount("describe");
    const many = [new Tab().open(watchers, row), new Tab().open(watchers, row), new Tab().open(watchers, row)];
    for (let i = 0; i < 20; i++) fake.log(row.id, `line ${i}`);
    await pass(10_000);
    const describesWithFour = fake.callCount("describe") - describesWithOne;

    // A lower bound as well as an upper one: a stream that never polled would pass the second alone.
    expect(describesWithOne).toBeGreaterThanOrEqual(3);
    expect(describesWithFour).toBeLessThanOrEqual(describesWithOne + 2);
    const expected = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    for (const tab of [one, ...many]) expect(tab.logs().filter((t) => t.startsWith("line "))).toEqual(expected);
  });

  it("hears the provider's news at once instead of on its next poll", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const watchers = new Watchers(fake);
    const tab = new Tab().open(watchers, row);
    await pass(5_000);
    fake.log(row.id, "just now");
    await pass(50);
    expect(tab.logs()).toContain("just now");
  });

  it("resumes a reconnecting page where it stopped, even from a new portal process, without repeating a line", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const before = new Watchers(fake);
    const first = new Tab().open(before, row);
    fake.log(row.id, "before");
    await pass(5_000);
    first.stop();
    before.stop();
    fake.log(row.id, "while away");

    // A restart: a new watchers reads the saved cursor and frames from the store.
    const restarted = new Watchers(fake);
    const second = new Tab().open(restarted, getEnvironment(row.id)!, first.lastId());
    fake.log(row.id, "after");
    await pass(5_000);
    expect([...first.logs(), ...second.logs()].filter((t) => !t.startsWith("Scheduler") && !t.startsWith("Start worker"))).toEqual([
      "before",
      "while away",
      "after",
    ]);
    const ids = second.frames.filter((f) => f.event !== "snapshot").map((f) => f.id);
    expect(ids[0]).toBe(first.lastId()! + 1);
  });

  it("tells a page that comes back from further than anything kept which lines it missed, never skipping them silently", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const before = new Watchers(fake);
    const away = new Tab().open(before, row);
    const watcher = new Tab().open(before, row);
    fake.log(row.id, "seen");
    await pass(3_000);
    away.stop();
    for (let i = 0; i < 40; i++) fake.log(row.id, `while away ${i}`);
    await pass(3_000);
    watcher.stop();
    before.stop();
    // The stored stream is pruned to its newest 10 events, and the portal restarts (memory is empty).
    pruneStreamEvents({ retentionMs: 0, keptPerEnvironment: 10 });
    const newest = watcher.lastId()!;

    const back = new Tab().open(new Watchers(fake), getEnvironment(row.id)!, away.lastId());
    expect(back.frames[0]).toEqual({ id: newest - 10, event: "gap", data: { missedFrom: away.lastId()! + 1, missedTo: newest - 10 } });
    expect(back.logs().at(-1)).toBe("while away 39");
    expect(back.logs()).not.toContain("while away 0");
    // Every frame after the gap is one the page had not had, in order, up to the newest.
    const ids = back.frames.filter((f) => f.event !== "snapshot").map((f) => f.id);
    expect(ids).toEqual(Array.from({ length: 11 }, (_, i) => newest - 10 + i));
  });

  it("shows an outage as degraded, keeps the last known state, and recovers by itself", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const tab = new Tab().open(new Watchers(fake), row);
    await pass(3_000);
    fake.setOutage("Cannot reach the cloud right now.");
    await pass(5_000);
    expect(tab.last("degraded")?.data.message).toBe("Cannot reach the cloud right now.");
    fake.setOutage(null);
    await pass(5_000);
    expect(tab.last("degraded")?.data.message).toBeNull();
    expect(tab.last("status")?.data.status).toBe("CREATE_COMPLETE");
  });

  it("marks the environment deleted in the store once the provider says DELETE_COMPLETE, then stops asking", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const watchers = new Watchers(fake);
    const tab = new Tab().open(watchers, row);
    await pass(3_000);
    await fake.destroy(providerRef(row), "its owner");
    fake.settle(row.id);
    await pass(5_000);
    expect(getEnvironment(row.id)?.deletedAt).not.toBeNull();
    expect(tab.last("status")?.data.status).toBe("DELETE_COMPLETE");
    const calls = fake.callCount("describe");
    await pass(30_000);
    expect(fake.callCount("describe")).toBe(calls);
  });

  it("stops polling a settled environment nobody watches", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const watchers = new Watchers(fake);
    watchers.watch(row).wake();
    await pass(5_000);
    const calls = fake.callCount("describe");
    expect(calls).toBeGreaterThan(0);
    await pass(60_000);
    expect(fake.callCount("describe")).toBe(calls);
  });

  it("drops a page that cannot keep up, saying so; it resumes from where it stopped", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const watchers = new Watchers(fake);
    const reader = new Tab().open(watchers, row);
    await pass(3_000);
    const slow = new Tab(2).open(watchers, row, 0);
    expect(slow.closed).toMatch(/could not keep up/);
    const resumed = new Tab().open(watchers, row, slow.lastId());
    const seen = reader.frames.filter((f) => f.event !== "snapshot").map((f) => f.id);
    expect([...slow.frames, ...resumed.frames].filter((f) => f.event !== "snapshot").map((f) => f.id)).toEqual(seen);
  });
});

describe("a watcher's policies", () => {
  it("are found by their kind, also from another copy of the policy's class (Next.js loads routes and the runtime apart)", async () => {
    const fake = new FakeProvider();
    const row = await deployed(fake);
    const watcher = new Watchers(fake).watch(row);
    const { DiagnosisPolicy } = await import("./policies");
    const own = watcher.policy(DiagnosisPolicy);
    expect(own).toBeDefined();
    // A class of the same kind that is not the runtime's class, as a route's copy of the module is.
    const Copy = class {
      static readonly kind = "diagnosis";
      readonly kind = "diagnosis";
    } as unknown as typeof DiagnosisPolicy;
    expect(watcher.policy(Copy)).toBe(own);
  });
});
