import type { ProviderHealth } from "@/lib/providers/contract";
import { toProviderError } from "./errors";
import type { RateLimiter } from "./limiter";

// What the AWS provider knows of AWS's health without asking: the outcome of the last call
// its pollers, streams and actions made anyway. /api/health reads this, so loading that
// page, however often, costs the account's small read quotas nothing.

/** Failures that say AWS itself is not answering the portal, rather than about one stack. */
const backendTrouble = new Set(["unavailable", "credentials", "throttled"]);

export class AwsHealth {
  private last: ProviderHealth = { state: "unknown", message: "The portal has not called AWS yet." };

  constructor(private readonly where: string) {}

  current(): ProviderHealth {
    return this.last;
  }

  /** Every call through the returned limiter records how it ended. */
  observe(limiter: RateLimiter): RateLimiter {
    return {
      run: async (family, call, options) => {
        try {
          const result = await limiter.run(family, call, options);
          this.answered();
          return result;
        } catch (error) {
          const failure = toProviderError(error, `calling AWS (${family})`);
          // "No such stack" or a refused parameter is AWS answering: only trouble reaching it counts.
          if (backendTrouble.has(failure.code)) this.last = { state: "degraded", message: failure.message, at: new Date().toISOString() };
          else this.answered();
          throw error;
        }
      },
    };
  }

  private answered(): void {
    this.last = { state: "ok", message: `AWS answers in ${this.where}.`, at: new Date().toISOString() };
  }
}
