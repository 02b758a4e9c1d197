// The one polling loop of the portal: every part that asks something again and again (an
// environment's watcher, the room's image build, the AWS room log, a local environment's
// supervision, the dress rehearsal's waits) runs its rounds through a Poller rather than its
// own chain of timers. A Poller runs one round at a time; after each it asks its owner for
// the next delay (null: go idle until woken); news that arrives during a round makes the next
// one start right after it; failures stretch the delay when the owner asks for backoff.

export interface PollerOptions {
  /** One round of work. A throw counts as a failure and goes to `onError`. */
  round: () => Promise<unknown> | unknown;
  /**
   * After a round (or when woken without a delay): milliseconds until the next round, or
   * null to go idle until `wake` or `nudge`.
   */
  next: () => number | null;
  /** The delay counts from when the round started, not when it ended (a steady rate of reads). */
  fromStart?: boolean;
  /** Consecutive failures double the delay, up to this many milliseconds (no backoff when absent). */
  backoffMaxMs?: number;
  onError?: (error: unknown) => void;
  /** Timers keep the process alive only when asked (default: they do not). */
  ref?: boolean;
}

export class Poller {
  private timer?: NodeJS.Timeout;
  private inflight?: Promise<void>;
  /** News arrived while a round ran: the next starts right after it. */
  private again = false;
  private halted = false;
  private failures = 0;
  private startedAt = 0;

  constructor(private readonly options: PollerOptions) {}

  /** A round is running or one is due. */
  get busy(): boolean {
    return this.timer !== undefined || this.inflight !== undefined;
  }

  /** A round is due (the loop is alive), not counting one that runs now. */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Rounds that failed in a row. */
  get failing(): number {
    return this.failures;
  }

  /**
   * Starts the loop if it is idle: the first round after `delayMs` (0: at once). Does nothing
   * while a round runs or one is due. Undoes `stop`.
   */
  wake(delayMs = 0): void {
    this.halted = false;
    if (this.busy) return;
    this.schedule(delayMs);
  }

  /** Something changed: a round as soon as possible (right after the running one, if any). */
  nudge(): void {
    this.halted = false;
    if (this.inflight) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  /** One round now, awaited: joins the running one rather than starting a second. */
  runNow(): Promise<void> {
    return this.run();
  }

  /** No more rounds until the next `wake` or `nudge` (a running one finishes). */
  stop(): void {
    this.halted = true;
    this.again = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
    if (!this.options.ref) this.timer.unref();
  }

  private run(): Promise<void> {
    this.inflight ??= this.roundOnce().finally(() => {
      this.inflight = undefined;
      this.after();
    });
    return this.inflight;
  }

  private async roundOnce(): Promise<void> {
    this.startedAt = Date.now();
    try {
      await this.options.round();
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      this.options.onError?.(error);
    }
  }

  /** Decides the next round once one is over. */
  private after(): void {
    const again = this.again;
    this.again = false;
    if (this.halted || this.timer) return;
    let delay = this.options.next();
    if (delay === null) return;
    if (again) delay = 0;
    else {
      const { backoffMaxMs } = this.options;
      if (backoffMaxMs !== undefined && this.failures > 0) delay = Math.min(backoffMaxMs, delay * 2 ** Math.min(this.failures, 16));
      if (this.options.fromStart) delay = Math.max(0, this.startedAt + delay - Date.now());
    }
    this.schedule(delay);
  }
}

export interface UntilOptions<T, R> {
  /** One read. */
  read: () => Promise<T>;
  /** What the read settles to, or undefined to read again; a throw ends the wait. */
  settle: (value: T) => R | undefined;
  /** Time between reads. */
  everyMs: number;
  /** How the wait between reads is spent (tests pass a clock of their own). */
  wait?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads until `settle` says it is done: a Poller's rounds for a caller that waits for one answer. */
export async function pollUntil<T, R>({ read, settle, everyMs, wait = sleep }: UntilOptions<T, R>): Promise<R> {
  for (;;) {
    const settled = settle(await read());
    if (settled !== undefined) return settled;
    await wait(everyMs);
  }
}
