/**
 * Slows down guessing: each key (a client address, or the account being guessed at) gets
 * `limit` failures per window, then waits until the oldest of them leaves the window.
 * A success resets nothing: otherwise anyone holding one valid sign-in could clear their
 * own failures between guesses at somebody else's code.
 *
 * In memory, for one portal process, and bounded: at most `maxKeys` keys are kept, the
 * least recently failing forgotten first, so a flood of invented addresses cannot grow it.
 */
export class FailureLimiter {
  private failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds the key must still wait, or 0 if it may try. */
  retryAfter(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit] + this.windowMs - this.now()) / 1000));
  }

  fail(key: string): void {
    // Only the last `limit` failures decide anything; older ones need not be kept.
    const kept = [...this.recent(key), this.now()].slice(-this.limit);
    this.failures.delete(key);
    this.failures.set(key, kept);
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  /** How many keys are held (for the bound's test). */
  get size(): number {
    return this.failures.size;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (!kept.length) this.failures.delete(key);
    return kept;
  }
}
