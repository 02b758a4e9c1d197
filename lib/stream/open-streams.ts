/**
 * How many live streams each viewer holds open, so one person (or one script with their
 * cookie) cannot take every connection the portal has. One per process (the runtime's);
 * a stream counts from the moment it is granted until it closes, whichever side ends it.
 */
export class OpenStreams {
  private open = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /** Streams `owner` holds open now. */
  count(owner: string): number {
    return this.open.get(owner) ?? 0;
  }

  /** Grants one more stream to `owner` and returns its release (safe to call twice), or null when they are at the cap. */
  claim(owner: string): (() => void) | null {
    const held = this.count(owner);
    if (held >= this.perUser) return null;
    this.open.set(owner, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(owner) - 1;
      if (left > 0) this.open.set(owner, left);
      else this.open.delete(owner);
    };
  }
}
