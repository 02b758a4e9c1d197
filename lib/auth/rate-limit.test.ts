import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./rate-limit";

describe("FailureLimiter", () => {
  it("lets a client fail a few times, then makes it wait until the window passes", () => {
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

  it("forgets failures after a success", () => {
    const limiter = new FailureLimiter(1, 60_000);
    limiter.fail("ip");
    expect(limiter.retryAfter("ip")).toBeGreaterThan(0);
    limiter.reset("ip");
    expect(limiter.retryAfter("ip")).toBe(0);
  });
});
