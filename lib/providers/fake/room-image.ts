import { pinsTag } from "@/lib/image/pins";
import { ProviderError, type ImageBuildLogLine, type ImageBuildView, type RoomImage, type RoomImageTools } from "@/lib/providers/contract";

// The room's image for tests: nothing builds, and the test plays CodeBuild (advance,
// succeed, fail, log) the way the AWS provider would read it.

const REPOSITORY = "123456789012.dkr.ecr.us-west-2.amazonaws.com/fake-room";

export class FakeRoomImage implements RoomImageTools {
  readonly builds: ImageBuildView[] = [];
  readonly logs = new Map<string, ImageBuildLogLine[]>();
  starts = 0;

  constructor(
    /** The portal's pins hash, as lib/image/pins.ts would read it. */
    public portalPins = "0123456789ab",
    /** DASK_IMAGE, when the test configures one. */
    public configured?: string,
  ) {}

  async current(): Promise<RoomImage> {
    const latestBuild = this.builds.at(-1) ?? null;
    const built = [...this.builds].reverse().find((b) => b.status === "SUCCEEDED");
    const image = this.configured ?? built?.image ?? null;
    return {
      image,
      source: this.configured ? "configured" : built ? "built" : "none",
      imagePins: image ? (/:pins-([0-9a-f]{12})$/.exec(image)?.[1] ?? null) : null,
      portalPins: this.portalPins,
      latestBuild,
      canBuild: true,
      ...(image ? {} : { message: "No image for the room yet: press “Build the room's image” and wait for the build to succeed (or set DASK_IMAGE to an image built from docker/)." }),
    };
  }

  async require(): Promise<string> {
    const room = await this.current();
    if (!room.image) throw new ProviderError("bad_request", `Deploys wait for the room's image. ${room.message}`);
    return room.image;
  }

  async startBuild() {
    const running = this.builds.at(-1);
    if (running?.status === "IN_PROGRESS") {
      return { started: false, build: running, message: `A build is already running (${running.currentPhase ?? "starting"}); no new build was started. Follow it below.` };
    }
    this.starts++;
    const build: ImageBuildView = {
      id: `fake-room-image:${this.starts}`,
      status: "IN_PROGRESS",
      currentPhase: "QUEUED",
      phases: [{ phase: "SUBMITTED", status: "SUCCEEDED" }, { phase: "QUEUED" }],
      pins: this.portalPins,
      image: `${REPOSITORY}:${pinsTag(this.portalPins)}`,
    };
    this.builds.push(build);
    this.logs.set(build.id, []);
    return { started: true, build: structuredClone(build), message: `Build started for ${pinsTag(this.portalPins)}.` };
  }

  async build(id: string) {
    const build = this.builds.find((b) => b.id === id);
    if (!build) throw new ProviderError("not_found", "No such build.");
    return structuredClone(build);
  }

  async buildLog(id: string, cursor: string | null) {
    const lines = this.logs.get(id) ?? [];
    const from = cursor ? Number(cursor) : 0;
    return { lines: lines.slice(from), cursor: String(lines.length) };
  }

  // ---- the test plays CodeBuild

  private latest(): ImageBuildView {
    const build = this.builds.at(-1);
    if (!build) throw new Error("no build started");
    return build;
  }

  /** The running phase ends well and `phase` begins. */
  advance(phase: string): void {
    const build = this.latest();
    const current = build.phases.at(-1);
    if (current && !current.status) current.status = "SUCCEEDED";
    build.phases.push({ phase });
    build.currentPhase = phase;
  }

  log(text: string): void {
    const build = this.latest();
    const lines = this.logs.get(build.id)!;
    lines.push({ at: new Date(Date.parse("2026-12-01T09:00:00Z") + lines.length * 1000).toISOString(), text, key: `${build.id}-${lines.length}` });
  }

  succeed(): void {
    const build = this.latest();
    this.advance("COMPLETED");
    build.status = "SUCCEEDED";
  }

  fail(message: string): void {
    const build = this.latest();
    const current = build.phases.at(-1)!;
    current.status = "FAILED";
    current.message = message;
    build.failedPhase = structuredClone(current);
    build.phases.push({ phase: "COMPLETED" });
    build.currentPhase = "COMPLETED";
    build.status = "FAILED";
  }
}
