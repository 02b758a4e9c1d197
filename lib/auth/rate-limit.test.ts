import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./rate-limit";

describe("FailureLimiter", () => {
  it("lets a key fail a few times, then makes it wait until the window passes", () => {
    let now = 0;
    const limiter = new FailureLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter("ip")).toBe(0);
      limiter.fail("ip");
      now += 1000;
    }
    expect(limiter.retryAfter("ip")).toBe(57);
    expect(limiter.retryAfter("other-ip")).toBe(0);
    now = 60_001;
    expect(limiter.retryAfter("ip")).toBe(0);
  });

  it("keeps at most maxKeys keys however many addresses fail, forgetting the quietest first", () => {
    let now = 0;
    const limiter = new FailureLimiter(2, 60_000, () => now, 100);
    limiter.fail("attacker");
    limiter.fail("attacker");
    for (let i = 0; i < 10_000; i++) {
      limiter.fail(`invented-${i}`);
      if (i % 50 === 0) limiter.fail("attacker");
      now += 1;
    }
    expect(limiter.size).toBe(100);
    // Still failing recently: not the one forgotten.
    expect(limiter.retryAfter("attacker")).toBeGreaterThan(0);
    expect(limiter.retryAfter("invented-0")).toBe(0);
  });
});
