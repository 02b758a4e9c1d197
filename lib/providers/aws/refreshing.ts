/**
 * What `reading` gives if it settles within `ms`, else `fallback`; the reading goes on
 * (its failure, if any, is left for whoever awaits it next).
 */
export async function orAfter<T, F>(reading: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  reading.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([reading, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A value read from AWS and shared by every environment and viewer that asks for it:
 * reloaded only when a caller needs it fresher than it is, one load at a time, and not
 * retried sooner than `retryMs` after a failure (callers get that failure instead), so
 * a room of pollers never turns one outage into a storm of calls.
 */
export class Refreshing<T> {
  private value?: T;
  private loadedAt = 0;
  private failure?: { error: unknown; at: number };
  private inflight?: Promise<T>;

  constructor(
    private readonly load: (previous: T | undefined) => Promise<T>,
    private readonly retryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value as of `freshAfter` (epoch ms) or later. */
  async get(freshAfter: number): Promise<T> {
    if (this.value !== undefined && this.loadedAt >= freshAfter) return this.value;
    if (this.inflight) return this.inflight;
    if (this.failure && this.now() - this.failure.at < this.retryMs) throw this.failure.error;
    return this.reload();
  }

  /**
   * Like get(), but when a value is at hand and the reload it starts takes longer than
   * `waitMs`, answers with the value at hand; the reload goes on and the next caller gets
   * it. So one slow refresh (a room's worth of pages under the call budget) never holds
   * up what else a poll delivers. A reload that failed still throws, as get() does.
   */
  async getSoon(freshAfter: number, waitMs: number): Promise<T> {
    const atHand = this.value;
    if (atHand === undefined || waitMs <= 0) return this.get(freshAfter);
    return orAfter(this.get(freshAfter), waitMs, atHand);
  }

  /** What was loaded last, however old, or undefined. */
  get last(): T | undefined {
    return this.value;
  }

  /** The next get() reloads. */
  invalidate(): void {
    this.loadedAt = 0;
    this.failure = undefined;
  }

  private reload(): Promise<T> {
    const startedAt = this.now();
    const run = this.load(this.value).then(
      (value) => {
        this.value = value;
        this.loadedAt = startedAt;
        this.failure = undefined;
        return value;
      },
      (error: unknown) => {
        this.failure = { error, at: this.now() };
        throw error;
      },
    );
    this.inflight = run.finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }
}
