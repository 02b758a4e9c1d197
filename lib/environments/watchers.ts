import "server-only";
import { getEnvironment, providerRef } from "@/lib/db/environment-queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import type { ClusterProgress } from "@/lib/labs/progress-line";
import type { EnvironmentSnapshot, Provider } from "@/lib/providers/contract";
import { portalPolicies, ProgressPolicy, storedProgress, type PolicyFactory } from "./policies";
import { EnvironmentWatcher } from "./watcher";

type SnapshotListener = (envId: string, snapshot: EnvironmentSnapshot) => void;

/**
 * One EnvironmentWatcher per environment for the whole process, each running the policies
 * the runtime registers, and one feed of every snapshot for whoever follows the room (the
 * facilitator's stream, usage tracking). The runtime (lib/runtime.ts) owns it and decides
 * when watchers start and stop.
 */
export class Watchers {
  private watchers = new Map<string, EnvironmentWatcher>();
  private listeners = new Set<SnapshotListener>();

  constructor(
    readonly provider: Provider,
    private readonly policies: PolicyFactory = portalPolicies,
  ) {}

  watch(row: EnvironmentRow): EnvironmentWatcher {
    let watcher = this.watchers.get(row.id);
    if (!watcher) {
      const env = providerRef(row);
      watcher = new EnvironmentWatcher(env, row, {
        provider: this.provider,
        policies: this.policies(env, this.provider),
        onSnapshot: (id, snap) => this.notify(id, snap),
      });
      this.watchers.set(row.id, watcher);
    }
    return watcher;
  }

  /** The watcher if one exists already; never starts one. */
  peek(envId: string): EnvironmentWatcher | undefined {
    return this.watchers.get(envId);
  }

  watchById(envId: string): EnvironmentWatcher | undefined {
    const row = getEnvironment(envId);
    return row ? this.watch(row) : undefined;
  }

  /** The last snapshot the environment's watcher saw, if it has one. */
  lastSnapshot(envId: string): EnvironmentSnapshot | null {
    return this.watchers.get(envId)?.lastSnapshot ?? null;
  }

  /** The cluster's newest progress line: from the environment's watcher, or the store when none exists. */
  progressOf(envId: string): ClusterProgress | null {
    const progress = this.watchers.get(envId)?.policy(ProgressPolicy);
    return progress ? progress.latest() : storedProgress(envId);
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every poller (shutdown). */
  stop(): void {
    for (const watcher of this.watchers.values()) watcher.stop();
  }

  private notify(envId: string, snapshot: EnvironmentSnapshot): void {
    for (const listener of this.listeners) listener(envId, snapshot);
  }
}
