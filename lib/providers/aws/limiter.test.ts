import { describe, expect, it } from "vitest";
import { ProviderError } from "@/lib/providers/contract";
import { createRateLimiter, type Clock } from "./limiter";

/** A clock that only moves when someone sleeps, so tests take no real time. */
function fakeClock(random = 0.5): Clock & { t: number; sleeps: number[] } {
  const clock = {
    t: 0,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
    random: () => random,
  };
  return clock;
}

const throttled = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

describe("rate limiter", () => {
  it("keeps a family's calls under its rate after the burst", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ clock, sizes: { "ecs-read": { ratePerSecond: 10, burst: 5 } } });
    for (let i = 0; i < 25; i++) await limiter.run("ecs-read", async () => i);
    // 5 free in the burst, then 20 more at 10/s: at least two seconds.
    expect(clock.t).toBeGreaterThanOrEqual(2000);
    expect(clock.t).toBeLessThan(2200);
  });

  it("serves someone's action before the background refreshes already waiting, still at the family's rate", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ clock, sizes: { "cfn-read": { ratePerSecond: 1, burst: 1 } } });
    const order: string[] = [];
    const calls = [0, 1, 2, 3, 4].map((i) => limiter.run("cfn-read", async () => order.push(`poll ${i}`), { background: true }));
    calls.push(limiter.run("cfn-read", async () => order.push("click")));
    await Promise.all(calls);
    expect(order).toEqual(["poll 0", "click", "poll 1", "poll 2", "poll 3", "poll 4"]);
    expect(clock.t).toBeGreaterThanOrEqual(5000);
  });

  it("does not slow one family down for another", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ clock, sizes: { "logs-read": { ratePerSecond: 1, burst: 1 } } });
    await limiter.run("logs-read", async () => 1);
    await limiter.run("ecs-read", async () => 1);
    expect(clock.t).toBe(0);
  });

  it("retries throttled calls with growing, jittered waits and then succeeds", async () => {
    const clock = fakeClock(0.5);
    const limiter = createRateLimiter({
      clock,
      backoff: { baseMs: 100, capMs: 10_000, maxTotalMs: 60_000 },
      sizes: { "cfn-read": { ratePerSecond: 100, burst: 10 } },
    });
    let calls = 0;
    const result = await limiter.run("cfn-read", async () => {
      calls += 1;
      if (calls < 4) throw throttled();
      return "ok";
    });
    expect(result).toBe("ok");
    expect(clock.sleeps.filter((ms) => ms >= 50)).toEqual([50, 100, 200]);
  });

  it("gives up with a plain 'throttled' error once the total wait would pass its bound", async () => {
    const clock = fakeClock(1);
    const limiter = createRateLimiter({ clock, backoff: { baseMs: 100, capMs: 1000, maxTotalMs: 2000 } });
    const error = await limiter.run("cfn-read", async () => Promise.reject(throttled())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("throttled");
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2000 + 1000);
  });

  it("does not retry other errors", async () => {
    const limiter = createRateLimiter({ clock: fakeClock() });
    let calls = 0;
    await expect(
      limiter.run("ecs-write", async () => {
        calls += 1;
        throw Object.assign(new Error("bad"), { name: "InvalidParameterException" });
      }),
    ).rejects.toThrow("bad");
    expect(calls).toBe(1);
  });
});
