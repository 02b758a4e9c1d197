import "server-only";
import { BatchGetBuildsCommand, ListBuildsForProjectCommand, StartBuildCommand, type Build } from "@aws-sdk/client-codebuild";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { repoPath } from "@/lib/config";
import { pinsHash, pinsOfImage, pinsTag } from "@/lib/image/pins";
import { folderEntries, zip } from "./zip";
import { ProviderError, type ImageBuildPhase, type ImageBuildStatus, type ImageBuildView, type RoomImage, type RoomImageTools } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { eventStackStatus } from "./event-stack";

// The room's image (docs/aws.md, "The room's image"): the event stack holds an ECR
// repository, a source bucket and a CodeBuild project; the portal zips docker/, uploads
// it and starts a build; the room's image is the newest successful build's
// <repository>:pins-<hash>, once ECR confirms it holds that tag.

/** The event stack's outputs for the image. */
interface ImageOutputs {
  repositoryUri: string;
  repositoryName: string;
  project: string;
  bucket: string;
}

/** How many recent builds are looked through for the newest successful one. */
const recentBuilds = 20;
/** How long a found room image is reused for deploys before CodeBuild and ECR are asked again. */
const imageCacheMs = 30_000;

const noStack = "The event stack is not deployed yet: deploy it first; it holds the repository and the build project for the room's image.";

async function imageOutputs(ctx: AwsContext): Promise<ImageOutputs | undefined> {
  const view = await eventStackStatus(ctx);
  const o = view.outputs;
  if (!o.ImageRepositoryUri || !o.ImageBuildProject || !o.ImageSourceBucket) return undefined;
  return { repositoryUri: o.ImageRepositoryUri, repositoryName: o.ImageRepositoryName ?? o.ImageRepositoryUri.split("/").slice(1).join("/"), project: o.ImageBuildProject, bucket: o.ImageSourceBucket };
}

const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : undefined);

/** The pins hash the portal gave the build (its PORTAL_PINS_HASH variable). */
function buildPins(build: Build): string | undefined {
  return build.environment?.environmentVariables?.find((v) => v.name === "PORTAL_PINS_HASH")?.value;
}

export function toBuildView(build: Build, repositoryUri: string): ImageBuildView {
  const phases: ImageBuildPhase[] = (build.phases ?? []).map((p) => ({
    phase: p.phaseType ?? "UNKNOWN",
    ...(p.phaseStatus ? { status: p.phaseStatus } : {}),
    ...(p.startTime ? { startedAt: iso(p.startTime) } : {}),
    ...(p.endTime ? { endedAt: iso(p.endTime) } : {}),
    ...(p.contexts?.some((c) => c.message) ? { message: p.contexts.map((c) => c.message).filter(Boolean).join(" ") } : {}),
  }));
  const status = (build.buildStatus ?? "IN_PROGRESS") as ImageBuildStatus;
  const pins = buildPins(build);
  const failedPhase = status === "SUCCEEDED" || status === "IN_PROGRESS" ? undefined : phases.find((p) => p.status && p.status !== "SUCCEEDED");
  return {
    id: build.id ?? "",
    status,
    ...(build.currentPhase ? { currentPhase: build.currentPhase } : {}),
    phases,
    ...(build.startTime ? { startedAt: iso(build.startTime) } : {}),
    ...(build.endTime ? { endedAt: iso(build.endTime) } : {}),
    ...(pins ? { pins, image: `${repositoryUri}:${pinsTag(pins)}` } : {}),
    ...(failedPhase ? { failedPhase } : {}),
  };
}

async function recentBuildsOf(ctx: AwsContext, outputs: ImageOutputs, count: number): Promise<Build[]> {
  const { ids } = await ctx.limiter.run("image", () =>
    ctx.clients.codebuild.send(new ListBuildsForProjectCommand({ projectName: outputs.project, sortOrder: "DESCENDING" })),
  );
  const wanted = (ids ?? []).slice(0, count);
  if (wanted.length === 0) return [];
  const { builds } = await ctx.limiter.run("image", () => ctx.clients.codebuild.send(new BatchGetBuildsCommand({ ids: wanted })));
  // BatchGetBuilds does not promise the order asked for.
  const byId = new Map((builds ?? []).map((b) => [b.id, b]));
  return wanted.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

async function imageExists(ctx: AwsContext, outputs: ImageOutputs, tag: string): Promise<boolean> {
  try {
    const { imageDetails } = await ctx.limiter.run("image", () =>
      ctx.clients.ecr.send(new DescribeImagesCommand({ repositoryName: outputs.repositoryName, imageIds: [{ imageTag: tag }] })),
    );
    return (imageDetails ?? []).length > 0;
  } catch (error) {
    if (errorName(error) === "ImageNotFoundException") return false;
    throw error;
  }
}

/** The image tools of the AWS provider in event mode. */
export class AwsRoomImage implements RoomImageTools {
  private starting?: Promise<unknown>;
  private cached?: { at: number; image: RoomImage };

  constructor(private readonly ctx: AwsContext) {}

  async current(): Promise<RoomImage> {
    const portalPins = await pinsHash();
    const configured = this.ctx.config.daskImage;
    try {
      const outputs = await imageOutputs(this.ctx);
      const builds = outputs ? await recentBuildsOf(this.ctx, outputs, recentBuilds) : [];
      const latestBuild = outputs && builds[0] ? toBuildView(builds[0], outputs.repositoryUri) : null;
      const base = { portalPins, latestBuild, canBuild: Boolean(outputs) };
      let image: RoomImage;
      if (configured) {
        image = { ...base, image: configured, source: "configured", imagePins: pinsOfImage(configured) ?? null };
      } else {
        const built = outputs ? await this.newestBuilt(outputs, builds) : undefined;
        image = built
          ? { ...base, image: built, source: "built", imagePins: pinsOfImage(built) ?? null }
          : {
              ...base,
              image: null,
              source: "none",
              imagePins: null,
              message: outputs
                ? "No image for the room yet: press “Build the room's image” and wait for the build to succeed (or set DASK_IMAGE to an image built from docker/)."
                : noStack,
            };
      }
      this.cached = { at: Date.now(), image };
      return image;
    } catch (error) {
      throw toProviderError(error, "reading the room's image");
    }
  }

  private async newestBuilt(outputs: ImageOutputs, builds: Build[]): Promise<string | undefined> {
    for (const build of builds) {
      const view = toBuildView(build, outputs.repositoryUri);
      if (view.status !== "SUCCEEDED" || !view.pins || !view.image) continue;
      if (await imageExists(this.ctx, outputs, pinsTag(view.pins))) return view.image;
    }
    return undefined;
  }

  /** The image a deploy passes as DaskImage; throws saying what to do while there is none. */
  async forDeploy(): Promise<string> {
    if (this.ctx.config.daskImage) return this.ctx.config.daskImage;
    const fresh = this.cached && Date.now() - this.cached.at < imageCacheMs && this.cached.image.image ? this.cached.image : await this.current();
    if (!fresh.image) throw new ProviderError("bad_request", `Deploys wait for the room's image. ${fresh.message ?? ""}`.trim());
    return fresh.image;
  }

  async startBuild() {
    // One start at a time in this process: two clicks never race past the check below.
    while (this.starting) await this.starting.catch(() => undefined);
    const work = this.startOnce();
    this.starting = work;
    try {
      return await work;
    } finally {
      this.starting = undefined;
    }
  }

  private async startOnce() {
    const outputs = await imageOutputs(this.ctx);
    if (!outputs) throw new ProviderError("bad_request", noStack);
    try {
      const [latest] = await recentBuildsOf(this.ctx, outputs, 1);
      if (latest?.buildStatus === "IN_PROGRESS") {
        const build = toBuildView(latest, outputs.repositoryUri);
        return { started: false, build, message: `A build is already running (${build.currentPhase ?? "starting"}); no new build was started. Follow it below.` };
      }
      const pins = await pinsHash();
      const archive = zip(await folderEntries(repoPath("docker"), "docker"));
      const key = `sources/${pinsTag(pins)}-${Date.now()}.zip`;
      await this.ctx.limiter.run("image", () =>
        this.ctx.clients.s3.send(new PutObjectCommand({ Bucket: outputs.bucket, Key: key, Body: archive, ContentType: "application/zip" })),
      );
      const { build } = await this.ctx.limiter.run("image", () =>
        this.ctx.clients.codebuild.send(
          new StartBuildCommand({
            projectName: outputs.project,
            sourceTypeOverride: "S3",
            sourceLocationOverride: `${outputs.bucket}/${key}`,
            environmentVariablesOverride: [{ name: "PORTAL_PINS_HASH", value: pins, type: "PLAINTEXT" }],
          }),
        ),
      );
      if (!build) throw new ProviderError("unavailable", "CodeBuild did not say which build it started.");
      this.cached = undefined;
      const view = toBuildView(build, outputs.repositoryUri);
      return { started: true, build: view, message: `Build started for ${pinsTag(pins)}.` };
    } catch (error) {
      throw toProviderError(error, "starting the image build");
    }
  }

  async build(id: string) {
    const outputs = await imageOutputs(this.ctx);
    if (!outputs) throw new ProviderError("bad_request", noStack);
    try {
      const { builds } = await this.ctx.limiter.run("image", () => this.ctx.clients.codebuild.send(new BatchGetBuildsCommand({ ids: [id] })));
      const build = builds?.[0];
      if (!build) throw new ProviderError("not_found", "No such build.");
      return toBuildView(build, outputs.repositoryUri);
    } catch (error) {
      throw toProviderError(error, "reading the image build");
    }
  }

  async buildLog(id: string, cursor: string | null) {
    try {
      const { builds } = await this.ctx.limiter.run("image", () => this.ctx.clients.codebuild.send(new BatchGetBuildsCommand({ ids: [id] })));
      const logs = builds?.[0]?.logs;
      if (!logs?.groupName || !logs.streamName) return { lines: [], cursor };
      const page = await this.ctx.limiter.run("logs-read", () =>
        this.ctx.clients.logs.send(
          new GetLogEventsCommand({
            logGroupName: logs.groupName,
            logStreamName: logs.streamName,
            startFromHead: true,
            ...(cursor ? { nextToken: cursor } : {}),
          }),
        ),
      ).catch((error: unknown) => {
        // CodeBuild makes the stream when the build starts writing: nothing to read yet.
        if (errorName(error) === "ResourceNotFoundException") return { events: [], nextForwardToken: cursor ?? undefined };
        throw error;
      });
      const lines = (page.events ?? []).map((e, i) => ({
        at: new Date(e.timestamp ?? 0).toISOString(),
        text: (e.message ?? "").replace(/\n$/, ""),
        // The page's own token and the line's place in it: unique across pages.
        key: `${cursor ?? "head"}#${i}`,
      }));
      return { lines, cursor: page.nextForwardToken ?? cursor };
    } catch (error) {
      throw toProviderError(error, "reading the image build's log");
    }
  }
}
