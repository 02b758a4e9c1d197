import "server-only";
import { getEnvironment, providerRef } from "@/lib/db/queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import { newestSchedulerLineContaining } from "@/lib/db/stream-queries";
import { PROGRESS_PREFIX, progressOfStoredLog, type ClusterProgress } from "@/lib/labs/progress-line";
import type { EnvironmentSnapshot, Provider } from "@/lib/providers/types";
import { EnvironmentStream } from "./environment-stream";

type SnapshotListener = (envId: string, snapshot: EnvironmentSnapshot) => void;

/**
 * One EnvironmentStream per environment for the whole process, and one feed of every
 * snapshot for whoever follows the room (the facilitator's stream, usage tracking).
 * The runtime (lib/runtime.ts) owns the hub and decides when streams start and stop.
 */
export class StreamHub {
  private streams = new Map<string, EnvironmentStream>();
  private listeners = new Set<SnapshotListener>();

  constructor(readonly provider: Provider) {}

  stream(row: EnvironmentRow): EnvironmentStream {
    let stream = this.streams.get(row.id);
    if (!stream) {
      stream = new EnvironmentStream(providerRef(row), row, this.provider, (id, snap) => this.notify(id, snap));
      this.streams.set(row.id, stream);
    }
    return stream;
  }

  /** The stream if one is open already; never starts one. */
  peek(envId: string): EnvironmentStream | undefined {
    return this.streams.get(envId);
  }

  streamById(envId: string): EnvironmentStream | undefined {
    const row = getEnvironment(envId);
    return row ? this.stream(row) : undefined;
  }

  /** The last snapshot the environment's stream saw, if it has one. */
  lastSnapshot(envId: string): EnvironmentSnapshot | null {
    return this.streams.get(envId)?.lastSnapshot ?? null;
  }

  /** The cluster's newest progress line: from the environment's stream, or the store when none is open. */
  progressOf(envId: string): ClusterProgress | null {
    const stream = this.streams.get(envId);
    if (stream) return stream.latestProgress();
    return progressOfStoredLog(newestSchedulerLineContaining(envId, PROGRESS_PREFIX));
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every poller (shutdown). */
  stop(): void {
    for (const stream of this.streams.values()) stream.stop();
  }

  private notify(envId: string, snapshot: EnvironmentSnapshot): void {
    for (const listener of this.listeners) listener(envId, snapshot);
  }
}
