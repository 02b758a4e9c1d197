import { describe, expect, it } from "vitest";
import { fakeTimersPerTest } from "@/test/support/unit";
import { Poller, pollUntil } from "./poller";

// The one polling loop, on fake timers: when rounds run, that they never overlap, that news
// during a round is not lost, that failures back off and that a stopped loop stays stopped.

const pass = fakeTimersPerTest();

/** A loop whose rounds take `roundMs` and are counted (with the fake clock at each start). */
function counted(options: { roundMs?: number; every?: number | null; fail?: () => boolean; backoffMaxMs?: number; fromStart?: boolean } = {}) {
  const starts: number[] = [];
  let running = 0;
  let overlapped = false;
  let every = options.every === undefined ? 1_000 : options.every;
  const poller = new Poller({
    round: async () => {
      starts.push(Date.now());
      running += 1;
      if (running > 1) overlapped = true;
      if (options.roundMs) await new Promise((r) => setTimeout(r, options.roundMs));
      running -= 1;
      if (options.fail?.()) throw new Error("the backend did not answer");
    },
    next: () => every,
    backoffMaxMs: options.backoffMaxMs,
    fromStart: options.fromStart,
  });
  return {
    poller,
    starts,
    overlapped: () => overlapped,
    setEvery: (ms: number | null) => (every = ms),
  };
}

describe("Poller", () => {
  it("does nothing until woken, then runs a round at once and one per interval", async () => {
    const t0 = Date.now();
    const loop = counted();
    await pass(5_000);
    expect(loop.starts).toEqual([]);
    loop.poller.wake();
    await pass(3_500);
    expect(loop.starts.map((s) => s - t0 - 5_000)).toEqual([0, 1_000, 2_000, 3_000]);
  });

  it("goes idle when its owner says so, and a second wake while busy starts no second loop", async () => {
    const loop = counted();
    loop.poller.wake();
    loop.poller.wake();
    loop.poller.wake();
    await pass(2_500);
    expect(loop.starts).toHaveLength(3);
    loop.setEvery(null);
    await pass(1_000);
    const settled = loop.starts.length;
    await pass(10_000);
    expect(loop.starts).toHaveLength(settled);
    expect(loop.poller.busy).toBe(false);
  });

  it("never runs two rounds at once; news during a round brings the next one forward instead of being lost", async () => {
    const loop = counted({ roundMs: 400, every: 5_000 });
    loop.poller.wake();
    await pass(100);
    loop.poller.nudge();
    loop.poller.nudge();
    await pass(450);
    // The first round ended at 400 ms; the nudges made the next start then, not 5 s later.
    expect(loop.starts).toHaveLength(2);
    expect(loop.starts[1] - loop.starts[0]).toBeLessThan(450);
    await pass(400);
    // Two nudges during one round are one more round, not two.
    await pass(4_000);
    expect(loop.starts).toHaveLength(2);
    expect(loop.overlapped()).toBe(false);
  });

  it("runNow joins a round under way and leaves the schedule as it was", async () => {
    const loop = counted({ roundMs: 300, every: 1_000 });
    loop.poller.wake();
    await pass(100);
    const joined = loop.poller.runNow();
    await pass(300);
    await joined;
    expect(loop.starts).toHaveLength(1);
    await pass(1_000);
    expect(loop.starts).toHaveLength(2);
    expect(loop.overlapped()).toBe(false);
  });

  it("backs off while rounds fail, doubling up to its ceiling, and is back to its pace after a success", async () => {
    let failing = true;
    const loop = counted({ every: 1_000, backoffMaxMs: 8_000, fail: () => failing });
    loop.poller.wake();
    await pass(30_000);
    const gaps = loop.starts.slice(1).map((s, i) => s - loop.starts[i]);
    expect(gaps.slice(0, 5)).toEqual([2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(loop.poller.failing).toBeGreaterThan(3);
    failing = false;
    await pass(9_000);
    const after = loop.starts.length;
    await pass(3_000);
    expect(loop.starts.length - after).toBe(3);
    expect(loop.poller.failing).toBe(0);
  });

  it("keeps a steady rate from each round's start when the rounds are slow", async () => {
    const loop = counted({ roundMs: 700, every: 1_000, fromStart: true });
    loop.poller.wake();
    await pass(4_100);
    const gaps = loop.starts.slice(1).map((s, i) => s - loop.starts[i]);
    expect(gaps).toEqual([1_000, 1_000, 1_000, 1_000]);
  });

  it("stays stopped after stop, even when a round under way ends, until woken again", async () => {
    const loop = counted({ roundMs: 500, every: 1_000 });
    loop.poller.wake();
    await pass(100);
    loop.poller.stop();
    await pass(5_000);
    expect(loop.starts).toHaveLength(1);
    loop.poller.wake();
    await pass(1_500);
    expect(loop.starts).toHaveLength(3);
  });
});

describe("pollUntil", () => {
  it("reads until the answer settles, waiting between reads, and stops at a refusal", async () => {
    const waits: number[] = [];
    const wait = async (ms: number) => void waits.push(ms);
    let n = 0;
    const three = await pollUntil({ read: async () => ++n, settle: (v) => (v >= 3 ? `read ${v} times` : undefined), everyMs: 250, wait });
    expect(three).toBe("read 3 times");
    expect(waits).toEqual([250, 250]);
    await expect(
      pollUntil({
        read: async () => "ROLLBACK_COMPLETE",
        settle: (s) => {
          throw new Error(`stack ${s}`);
        },
        everyMs: 250,
        wait,
      }),
    ).rejects.toThrow("stack ROLLBACK_COMPLETE");
  });
});
