/**
 * The listeners of Provider.onActivity, per key (a stack name or an environment id):
 * streams register to hear that their environment has news before their next poll.
 */
export class ActivityListeners {
  private byKey = new Map<string, Set<() => void>>();

  /** Adds a listener; the returned function removes it, and calls `onLast` when it was the key's last. */
  add(key: string, listener: () => void, onLast?: () => void): () => void {
    let listeners = this.byKey.get(key);
    if (!listeners) {
      listeners = new Set();
      this.byKey.set(key, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0) return;
      this.byKey.delete(key);
      onLast?.();
    };
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  notify(key: string): void {
    for (const listener of this.byKey.get(key) ?? []) listener();
  }
}
