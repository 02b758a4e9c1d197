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
