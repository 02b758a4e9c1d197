import "server-only";
import { portalActor } from "@/lib/audit";
import { BackupKeeper } from "@/lib/backup/keeper";
import { portalConfig, type PortalConfig } from "@/lib/config";
import { getSqlite } from "@/lib/db";
import { listLiveEnvironments, providerRef } from "@/lib/db/environment-queries";
import { reconcileEnvironments } from "@/lib/environments/reconcile";
import { ImageBuildChannel } from "@/lib/image/build-channel";
import { createProvider } from "@/lib/providers";
import type { Provider } from "@/lib/providers/contract";
import { RehearsalChannel } from "@/lib/rehearsal/channel";
import { rehearsalSettings } from "@/lib/rehearsal/run";
import { AttendeeChannel } from "@/lib/room/attendee-channel";
import { enforceEventEnd, eventInfo } from "@/lib/room/event";
import { RoomStream } from "@/lib/room/room-stream";
import { RoomSignal } from "@/lib/room/signal";
import { sampleRoomUsage, trackUsage } from "@/lib/room/usage";
import { pruneStreamEvents } from "@/lib/db/stream-queries";
import { portalPolicies } from "@/lib/environments/policies";
import { Watchers } from "@/lib/environments/watchers";
import { OpenStreams } from "@/lib/stream/open-streams";

const USAGE_SAMPLE_MS = 60_000;
const END_CHECK_MS = 15_000;
/** How often an environment nobody watches is polled anyway, so its worker maximum holds (lib/environments/enforce-limits.ts). */
const LIMIT_CHECK_MS = 60_000;
/** Stored stream events are pruned at start and this often (docs/architecture.md, "Stream limits"). */
const PRUNE_MS = 10 * 60_000;
/** After the event's end, the copy to the bucket waits for the teardowns, but not longer than this. */
const FINAL_BACKUP_WAIT_MS = 30 * 60_000;

/**
 * The portal process: its provider, the environment watchers (one poller per environment,
 * running the snapshot policies the portal registers), the room's signal and live channels, and the timers that keep the room honest (usage
 * samples, the event's end). It alone starts them (reconcile with the cloud, adopt what
 * the store says is alive, resume streams) and stops them.
 */
export class Runtime {
  readonly watchers: Watchers;
  readonly signal = new RoomSignal();
  readonly room: RoomStream;
  readonly attendees: AttendeeChannel;
  /** Live streams each viewer holds open, against PORTAL_STREAMS_PER_USER. */
  readonly openStreams: OpenStreams;
  /** The dress rehearsal's card, phases and notebook log, for the facilitator. */
  readonly rehearsal: RehearsalChannel;
  /** The room's image and its build, for the facilitator (providers that build one). */
  readonly imageBuild?: ImageBuildChannel;
  /** Copies of the store: on this machine every few minutes, to the host's bucket at the end and on request. */
  readonly backups: BackupKeeper;
  private started?: Promise<void>;
  /** start() has finished: the live environments are handed back and their streams run (/api/health). */
  running = false;
  private timers: NodeJS.Timeout[] = [];
  private stopTracking?: () => void;

  constructor(
    readonly config: PortalConfig,
    readonly provider: Provider,
  ) {
    this.watchers = new Watchers(provider, portalPolicies);
    this.room = new RoomStream(this.watchers, this.signal, provider.usage.unit);
    this.attendees = new AttendeeChannel(this.signal, config.eventName);
    this.openStreams = new OpenStreams(config.streams.perUser);
    this.rehearsal = new RehearsalChannel({ provider, settings: rehearsalSettings(config) });
    if (provider.image) this.imageBuild = new ImageBuildChannel(provider.image);
    this.backups = new BackupKeeper({ config: config.backup, dataDir: config.dataDir, sqlite: getSqlite });
  }

  /**
   * Once per process: stacks the store lost track of come back first (so they are adopted
   * like the rest), then every live environment is handed back to the provider and its
   * stream resumed. Resolves once they are handed back, not after every first poll: a
   * room under a small call budget takes minutes to read once, and no request waits for that.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      await reconcileEnvironments(this.provider, { actor: portalActor }).catch((err: unknown) =>
        console.error("could not reconcile environments at start-up:", err instanceof Error ? err.message : err),
      );
      const live = listLiveEnvironments();
      // A provider that cannot take some environment back must not keep the portal from starting:
      // the streams then show each environment as the provider sees it.
      await this.provider.adopt(live.map(providerRef)).catch((err: unknown) =>
        console.error("could not hand the live environments back to the provider:", err instanceof Error ? err.message : err),
      );
      for (const row of live) this.watchers.watch(row).wake();
      this.stopTracking = trackUsage(this.watchers, this.provider.usage);
      this.pruneStreams();
      this.every(PRUNE_MS, () => this.pruneStreams());
      this.every(USAGE_SAMPLE_MS, () => {
        sampleRoomUsage(this.provider.usage);
        this.room.publishCost();
      });
      this.every(LIMIT_CHECK_MS, () => {
        for (const row of listLiveEnvironments()) this.watchers.watch(row).wake();
      });
      this.every(this.config.backup.everyMs, () => this.backups.scheduled());
      this.every(END_CHECK_MS, async () => {
        await enforceEventEnd({ provider: this.provider, watchers: this.watchers, signal: this.signal, eventName: this.config.eventName }).catch((e: unknown) =>
          console.error("event end:", e instanceof Error ? e.message : e),
        );
        this.finalBackup();
      });
      this.running = true;
    })();
    return this.started;
  }

  /** Stops polling and timers and lets go of the environments, which keep running for the next start to adopt. */
  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.stopTracking?.();
    this.imageBuild?.stop();
    this.watchers.stop();
    this.provider.release();
  }

  /** Once the event has ended and its environments are gone (or have had their time), a copy goes to the bucket. */
  private finalBackup(): void {
    const { endedAt } = eventInfo(this.config.eventName);
    if (!endedAt) return;
    if (listLiveEnvironments().length > 0 && Date.now() - Date.parse(endedAt) < FINAL_BACKUP_WAIT_MS) return;
    void this.backups.atEventEnd(endedAt);
  }

  /** Deletes stored stream events past their retention or over each environment's ceiling. */
  private pruneStreams(): void {
    try {
      pruneStreamEvents(this.config.streams);
    } catch (err) {
      console.error("could not prune stored stream events:", err instanceof Error ? err.message : err);
    }
  }

  private every(ms: number, fn: () => unknown): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

// One runtime per process, kept on globalThis so a dev-mode reload does not start a second set of pollers.
const holder = globalThis as unknown as { __portalRuntime?: Runtime };

/** The process's runtime, made on first use (nothing starts until ready() is awaited). */
export function runtime(): Runtime {
  if (!holder.__portalRuntime) {
    const config = portalConfig();
    const rt = new Runtime(config, createProvider(config));
    // The server exits on these (Next.js's own handlers); the runtime lets go of its environments first.
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => rt.stop());
    holder.__portalRuntime = rt;
  }
  return holder.__portalRuntime;
}

/** The runtime once started: what every route and action that touches environments awaits. */
export async function ready(): Promise<Runtime> {
  const rt = runtime();
  await rt.start();
  return rt;
}
