import { defaultBucketSizes, type ApiFamily, type BucketSize } from "@/lib/config";
import { ProviderError } from "@/lib/providers/contract";
import { isThrottling } from "./errors";

export { apiFamilies, defaultBucketSizes, type ApiFamily, type BucketSize } from "@/lib/config";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/**
 * One family's tokens. Waiters are served in arrival order within two lanes: calls made
 * for someone's action (deploy, scale, a facilitator's button) go before the background
 * polling of a room, so a click never queues behind minutes of refreshes when many
 * environments share a small budget.
 */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private lanes: { now: (() => void)[]; background: (() => void)[] } = { now: [], background: [] };
  private pumping = false;

  constructor(
    private readonly size: BucketSize,
    private readonly clock: Clock,
  ) {
    this.tokens = size.burst;
    this.updatedAt = clock.now();
  }

  /** Resolves when a token is taken. */
  take(background: boolean): Promise<void> {
    return new Promise((resolve) => {
      this.lanes[background ? "background" : "now"].push(resolve);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.lanes.now.length + this.lanes.background.length > 0) {
        const now = this.clock.now();
        this.tokens = Math.min(this.size.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.size.ratePerSecond);
        this.updatedAt = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          (this.lanes.now.shift() ?? this.lanes.background.shift())?.();
          continue;
        }
        await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.size.ratePerSecond) * 1000));
      }
    } finally {
      this.pumping = false;
    }
  }
}

export interface BackoffPolicy {
  /** First retry waits up to this long; each retry doubles it. */
  baseMs: number;
  /** No single wait is longer than this. */
  capMs: number;
  /** All retries of one call together wait at most this long, then give up. */
  maxTotalMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 200, capMs: 5000, maxTotalMs: 20_000 };

export interface CallOptions {
  /** A poller's refresh, not someone's action: it waits until no action is waiting. */
  background?: boolean;
}

export interface RateLimiter {
  /** Runs `call` once a token of `family` is free, retrying throttled calls with jittered backoff. */
  run<T>(family: ApiFamily, call: () => Promise<T>, options?: CallOptions): Promise<T>;
}

export function createRateLimiter(
  options: { sizes?: Partial<Record<ApiFamily, BucketSize>>; backoff?: BackoffPolicy; clock?: Clock } = {},
): RateLimiter {
  const clock = options.clock ?? realClock;
  const backoff = options.backoff ?? defaultBackoff;
  const buckets = new Map<ApiFamily, TokenBucket>();
  const bucket = (family: ApiFamily) => {
    let b = buckets.get(family);
    if (!b) {
      b = new TokenBucket({ ...defaultBucketSizes[family], ...options.sizes?.[family] }, clock);
      buckets.set(family, b);
    }
    return b;
  };

  return {
    async run(family, call, options = {}) {
      let waited = 0;
      for (let attempt = 0; ; attempt++) {
        await bucket(family).take(options.background ?? false);
        try {
          return await call();
        } catch (error) {
          if (!isThrottling(error)) throw error;
          // "Full jitter": a random wait up to the exponential ceiling spreads retries out.
          const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
          const delay = Math.round(clock.random() * ceiling);
          if (waited + delay > backoff.maxTotalMs) {
            throw new ProviderError("throttled", "AWS kept throttling the portal's requests; it will try again shortly.");
          }
          waited += delay;
          await clock.sleep(delay);
        }
      }
    },
  };
}
