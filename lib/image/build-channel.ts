import "server-only";
import { toPortalError } from "@/lib/errors";
import { Poller } from "@/lib/poller";
import type { ImageBuildView, RoomImage, RoomImageTools } from "@/lib/providers/contract";
import { Channel, type AnySink } from "@/lib/stream/channel";
import type { FrameOf, ImageBuildEvents } from "@/lib/stream/protocol";

// The facilitator's live view of the room's image: one poller for the process, however
// many pages watch. It reads the room's image now and then, and while a build runs it
// follows that build (its phases and its CloudWatch log) every few seconds. A page that
// opens mid-build is greeted with the image and the build so far, lines included.

export interface BuildChannelOptions {
  /** How often a running build is read. */
  pollMs: number;
  /** How often the room's image is read again while someone watches and nothing runs. */
  idleMs: number;
}

const defaults: BuildChannelOptions = { pollMs: 2_000, idleMs: 30_000 };
/** Log lines kept for a page that opens mid-build (the build's newest ones). */
const keepLines = 2_000;

type Frame = FrameOf<ImageBuildEvents>;

export class ImageBuildChannel {
  private readonly channel = new Channel<ImageBuildEvents>({ keep: keepLines + 50, dropReason: "The build view fell too far behind; it will reconnect." });
  private room?: RoomImage;
  private roomAt = 0;
  /** The followed build, its log cursor, its newest build frame and its log frames kept for late pages. */
  private followed?: { build: ImageBuildView; cursor: string | null; buildFrame?: Frame; lines: Frame[] };
  private degraded: string | null = null;
  private stopped = false;
  private readonly options: BuildChannelOptions;
  /** Reads while someone watches or a build runs: a build every pollMs, else the image every idleMs. */
  private readonly poller = new Poller({
    round: () => this.tick(),
    next: () => (this.channel.subscribers > 0 || this.running() ? (this.running() ? this.options.pollMs : this.options.idleMs) : null),
  });

  constructor(
    private readonly tools: RoomImageTools,
    options: Partial<BuildChannelOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  subscribe(sink: AnySink, lastEventId: number | null): () => void {
    const stop = this.channel.subscribe(sink, lastEventId, () => [
      ...(this.room ? [{ event: "snapshot" as const, data: this.room }] : []),
      // In id order, as the page skips a numbered frame older than one it has seen.
      ...[...(this.followed?.lines ?? []), ...(this.followed?.buildFrame ? [this.followed.buildFrame] : [])].sort((a, b) => a.id - b.id),
    ]);
    this.wake();
    return stop;
  }

  /** Follows a build just started (or found running), from its first line. */
  follow(build: ImageBuildView): void {
    if (this.followed?.build.id === build.id) return;
    this.followed = { build, cursor: null, lines: [] };
    this.followed.buildFrame = this.channel.publish([{ event: "build", data: build }])[0];
    this.roomAt = 0;
    this.wake();
  }

  /** Reads now, and keeps reading while someone watches or a build runs. */
  wake(): void {
    if (!this.stopped) this.poller.nudge();
  }

  stop(): void {
    this.stopped = true;
    this.poller.stop();
  }

  private running(): boolean {
    return this.followed?.build.status === "IN_PROGRESS";
  }

  private async tick(): Promise<void> {
    try {
      if (!this.room || Date.now() - this.roomAt >= this.options.idleMs) await this.readRoom();
      if (this.running()) await this.readBuild();
      this.setDegraded(null);
    } catch (error) {
      this.setDegraded(toPortalError(error).message);
    }
  }

  private async readRoom(): Promise<void> {
    this.room = await this.tools.current();
    this.roomAt = Date.now();
    this.channel.broadcastState({ event: "snapshot", data: this.room });
    const latest = this.room.latestBuild;
    // A build someone else started (another portal, the console) is followed too.
    if (latest && latest.id !== this.followed?.build.id && (latest.status === "IN_PROGRESS" || !this.followed)) this.follow(latest);
  }

  private async readBuild(): Promise<void> {
    const followed = this.followed!;
    const build = await this.tools.build(followed.build.id);
    const { lines, cursor } = await this.tools.buildLog(build.id, followed.cursor);
    followed.cursor = cursor;
    followed.lines.push(...this.channel.publish(lines.map((line) => ({ event: "log" as const, data: { ...line, build: build.id } }))));
    if (followed.lines.length > keepLines) followed.lines.splice(0, followed.lines.length - keepLines);
    if (JSON.stringify(build) !== JSON.stringify(followed.build)) {
      followed.build = build;
      followed.buildFrame = this.channel.publish([{ event: "build", data: build }])[0];
      // The build is over: the room's image may have changed.
      if (build.status !== "IN_PROGRESS") await this.readRoom();
    }
  }

  private setDegraded(message: string | null): void {
    if (message === this.degraded) return;
    this.degraded = message;
    this.channel.publish([{ event: "degraded", data: { message } }]);
  }
}
