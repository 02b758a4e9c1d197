import "server-only";
import { recordDiagnosis } from "@/lib/db/diagnosis-queries";
import { updateEnvironment } from "@/lib/db/environment-queries";
import { newestSchedulerLineContaining } from "@/lib/db/stream-queries";
import type { EnvironmentDiagnosis } from "@/lib/diagnosis/codes";
import { FailureWatch } from "@/lib/diagnosis/watch";
import { PROGRESS_PREFIX, progressOfLogLine, progressOfStoredLog, type ClusterProgress } from "@/lib/labs/progress-line";
import type { EnvironmentRef, Provider } from "@/lib/providers/contract";
import { holdWorkerMaximum } from "./enforce-limits";
import type { EnvironmentWatcher, SnapshotPolicy, WatchedPoll } from "./watcher";

// The policies the runtime registers for every watched environment, in the order they run:
// the worker maximum acts first (it may change the snapshot), then the diagnosis and the
// progress read the frames, and the store write-back saves the row with them.

/** The event's worker maximum holds on what runs, whoever changed the count (lib/environments/enforce-limits.ts). */
export class WorkerLimitPolicy implements SnapshotPolicy {
  static readonly kind = "worker-limit";
  readonly kind = WorkerLimitPolicy.kind;

  constructor(
    private readonly provider: Provider,
    private readonly env: EnvironmentRef,
  ) {}

  async act(poll: WatchedPoll): Promise<void> {
    const held = await holdWorkerMaximum(this.provider, this.env, poll.snapshot);
    if (!held) return;
    poll.snapshot = held.snapshot;
    poll.frames.push({ event: "log", data: held.notice });
  }
}

/** The environment's latest failure, diagnosed from what each poll brings (lib/diagnosis), stored with the poll. */
export class DiagnosisPolicy implements SnapshotPolicy {
  static readonly kind = "diagnosis";
  readonly kind = DiagnosisPolicy.kind;

  private readonly failures: FailureWatch;
  /** Found by this poll's frames, saved in its transaction. */
  private found?: EnvironmentDiagnosis;

  constructor(private readonly env: EnvironmentRef) {
    this.failures = new FailureWatch(env.id);
  }

  /** The diagnosis pages show, unless dismissed. */
  get current(): EnvironmentDiagnosis | null {
    return this.failures.diagnosis;
  }

  /** The attendee dismissed it (already done in the store): pages stop showing it. */
  dismissed(watcher: EnvironmentWatcher): void {
    this.failures.clear();
    watcher.publish([{ event: "diagnosis", data: null }]);
  }

  observe(poll: WatchedPoll): void {
    this.found = this.failures.observe(poll.frames);
    if (this.found) poll.frames.push({ event: "diagnosis", data: this.found });
  }

  save(): void {
    const d = this.found;
    if (!d) return;
    recordDiagnosis({ envId: this.env.id, attendeeId: this.env.attendeeId, code: d.code, raw: d.raw, source: d.source, pointsAt: d.pointsAt ?? null, at: d.at });
  }
}

/** The cluster's newest progress line, as its scheduler writes it to the log (docker/workshop_progress.py). */
export class ProgressPolicy implements SnapshotPolicy {
  static readonly kind = "progress";
  readonly kind = ProgressPolicy.kind;

  /** Undefined: not looked up in the store yet. */
  private progress: ClusterProgress | null | undefined;

  constructor(private readonly envId: string) {}

  /** The newest progress line, or null when none came yet: read from the store once, then kept from each poll. */
  latest(): ClusterProgress | null {
    if (this.progress === undefined) this.progress = storedProgress(this.envId);
    return this.progress;
  }

  observe(poll: WatchedPoll): void {
    for (const f of poll.frames) {
      const progress = f.event === "log" ? progressOfLogLine(f.data) : null;
      if (progress) this.progress = progress;
    }
  }
}

/** The progress line the store last kept for an environment nobody watches. */
export function storedProgress(envId: string): ClusterProgress | null {
  return progressOfStoredLog(newestSchedulerLineContaining(envId, PROGRESS_PREFIX));
}

/** The environment's row follows what the platform says: status, workers, the stream's cursor, when it was gone. */
export class StoreWriteBack implements SnapshotPolicy {
  static readonly kind = "store-write-back";
  readonly kind = StoreWriteBack.kind;

  constructor(private readonly envId: string) {}

  save(poll: WatchedPoll): void {
    const { snapshot } = poll;
    updateEnvironment(this.envId, {
      status: snapshot.status,
      statusReason: snapshot.reason ?? null,
      desiredWorkers: snapshot.desiredWorkers,
      runningWorkers: snapshot.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING").length,
      streamCursor: poll.cursor,
      ...(poll.gone ? { deletedAt: new Date().toISOString() } : {}),
    });
  }
}

/** Makes the policies of one environment. */
export type PolicyFactory = (env: EnvironmentRef, provider: Provider) => SnapshotPolicy[];

/** What the portal runs on every environment's snapshots. */
export const portalPolicies: PolicyFactory = (env, provider) => [
  new WorkerLimitPolicy(provider, env),
  new DiagnosisPolicy(env),
  new ProgressPolicy(env.id),
  new StoreWriteBack(env.id),
];
