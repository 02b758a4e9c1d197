import "server-only";
import { getAttendee, getEnvironment, listLiveEnvironments } from "@/lib/db/queries";
import { reconcileEnvironments } from "@/lib/environments/reconcile";
import type { EnvironmentRow } from "@/lib/db/schema";
import { getProvider } from "@/lib/providers";
import type { EnvironmentRef, EnvironmentSnapshot, Provider } from "@/lib/providers/types";
import { EnvironmentStream } from "./environment-stream";

export function toRef(row: EnvironmentRow): EnvironmentRef {
  return {
    id: row.id,
    stackName: row.stackName,
    attendeeId: row.attendeeId,
    attendeeEmail: getAttendee(row.attendeeId)?.email ?? "",
  };
}

type SnapshotListener = (envId: string, snapshot: EnvironmentSnapshot) => void;

/**
 * Holds one EnvironmentStream per environment for the whole process (kept on globalThis
 * so dev reloads do not start a second poller), and lets the facilitator view listen to
 * every snapshot through one aggregated feed.
 */
export class StreamHub {
  private streams = new Map<string, EnvironmentStream>();
  private listeners = new Set<SnapshotListener>();
  private started?: Promise<void>;

  constructor(private readonly provider: Provider) {}

  stream(row: EnvironmentRow): EnvironmentStream {
    let stream = this.streams.get(row.id);
    if (!stream) {
      stream = new EnvironmentStream(toRef(row), row, this.provider, (id, snap) => this.notify(id, snap));
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

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * At start-up: hand every live environment back to the provider, then start following
   * each one (its first poll brings the store up to date). Resolves once they are handed
   * back, not after every first poll: a room of solo environments under a small call
   * budget takes minutes to read once, and a browser must not wait for all of them.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      // Stacks the store lost track of come back first, so they are adopted and followed like the rest.
      await reconcileEnvironments(this.provider).catch((err: unknown) =>
        console.error("could not reconcile environments at start-up:", err instanceof Error ? err.message : err),
      );
      const live = listLiveEnvironments();
      await this.provider.adopt?.(live.map(toRef));
      for (const row of live) this.stream(row).wake();
    })();
    return this.started;
  }

  private notify(envId: string, snapshot: EnvironmentSnapshot): void {
    for (const listener of this.listeners) listener(envId, snapshot);
  }
}

const holder = globalThis as unknown as { __streamHub?: StreamHub };

export function getHub(): StreamHub {
  holder.__streamHub ??= new StreamHub(getProvider());
  return holder.__streamHub;
}
