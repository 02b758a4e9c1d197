// The room's image against moto: the event stack's repository, source bucket, log group
// and build role; a build started from the portal and followed to its end; a second
// request while it runs; a failed build; the deploy that waits for an image and then
// passes it as DaskImage; and the pins warning. Moto cannot play CodeBuild (no
// AWS::CodeBuild::Project in its CloudFormation, and its builds succeed the moment they
// are read), so test/moto/codebuild.mjs plays it, as test/moto/fargate.mjs plays Fargate.
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { eagerCadence } from "@/test/support/moto";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import { GetBucketEncryptionCommand } from "@aws-sdk/client-s3";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startCodeBuildPlayer } from "../../../test/moto/codebuild.mjs";
import { deployEventStack } from "../../../test/moto/index.mjs";
import { ImageBuildChannel } from "@/lib/image/build-channel";
import { pinsHash } from "@/lib/image/pins";
import { buildOutcome, pinsWarning } from "@/lib/image/words";
import type { EnvironmentRef, ImageBuildLogLine, ImageBuildView, RoomImageTools } from "@/lib/providers/contract";
import { createAwsClients } from "./clients";
import { loadAwsConfig } from "./config";
import { createAwsProvider } from "./provider";

process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

const endpoint = inject("motoEndpoint");
const EVENT = "img-event";
let player: Awaited<ReturnType<typeof startCodeBuildPlayer>>;
let outputs: Record<string, string>;

/** The portal's AWS provider in event mode, its CodeBuild calls going to the player. */
function portal(extra: Record<string, string | undefined> = {}) {
  const config = loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: endpoint,
      PORTAL_AWS_MODE: "event",
      PORTAL_EVENT_STACK: EVENT,
      PORTAL_EVENT_ID: "img-it",
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
      ...extra,
    },
    { cadence: eagerCadence },
  );
  const clients = { ...createAwsClients(config), codebuild: new CodeBuildClient({ region: "us-west-2", endpoint: player.endpoint }) };
  return { provider: createAwsProvider(config, { clients }), clients };
}

beforeAll(async () => {
  player = await startCodeBuildPlayer(endpoint);
  outputs = await deployEventStack(endpoint, { stackName: EVENT, eventId: "img-it" });
});

afterAll(() => player?.stop());

/** cloudformation/event.yaml as JSON (cfn-lint's decoder reads the YAML short forms). */
function eventTemplate() {
  const read = spawnSync(".venv-tools/bin/python", ["-c", "import json, sys\nfrom cfnlint.decode import decode\nt, _ = decode(sys.argv[1])\nprint(json.dumps(t))", "cloudformation/event.yaml"], { encoding: "utf8" });
  return JSON.parse(read.stdout);
}

/** What a page watching the build stream receives. */
function watch(tools: RoomImageTools) {
  const channel = new ImageBuildChannel(tools, { pollMs: 50, idleMs: 50 });
  const frames: { event: string; data: unknown }[] = [];
  const stop = channel.subscribe({ send: (f) => (frames.push(f), true), close: () => undefined }, null);
  return {
    channel,
    frames,
    lines: () => frames.filter((f) => f.event === "log").map((f) => (f.data as ImageBuildLogLine).text),
    lastBuild: () => frames.filter((f) => f.event === "build").at(-1)?.data as ImageBuildView | undefined,
    stop: () => (stop(), channel.stop()),
  };
}

async function until(done: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(done()).toBe(true);
}

describe("the room's image on moto", () => {
  it("the event stack holds the repository, the private encrypted source bucket and the build log group; the template declares the rest", async () => {
    const { clients } = portal();
    const { repositories } = await clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [outputs.ImageRepositoryName] }));
    expect(repositories?.[0]?.repositoryUri).toBe(outputs.ImageRepositoryUri);
    expect(repositories?.[0]?.imageTagMutability).toBe("IMMUTABLE");
    const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: outputs.ImageSourceBucket }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256");
    const { logGroups } = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: outputs.ImageBuildLogGroup }));
    expect(logGroups?.[0]?.retentionInDays).toBe(3);
    expect(outputs.ImageBuildProject).toBe(`${EVENT}-image`);

    // What moto 5.2.5 does not take from CloudFormation (scan on push, the lifecycle rule,
    // EmptyOnDelete, the bucket's public access block, the CodeBuild project) is read from
    // the template as it is sent to AWS.
    const resources = eventTemplate().Resources;
    expect(resources.ImageSourceBucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(resources.ImageRepository.Properties).toMatchObject({ ImageScanningConfiguration: { ScanOnPush: true }, EmptyOnDelete: true });
    expect(resources.ImageRepository.Properties.LifecyclePolicy.LifecyclePolicyText["Fn::Sub"]).toContain('"countType": "imageCountMoreThan"');
    expect(resources.ImageBuildProject.Properties).toMatchObject({
      Environment: { PrivilegedMode: true, Type: "ARM_CONTAINER", Image: "aws/codebuild/amazonlinux-aarch64-standard:3.0" },
      Source: { Type: "S3", BuildSpec: "docker/buildspec.yml" },
      LogsConfig: { CloudWatchLogs: { Status: "ENABLED", GroupName: { Ref: "ImageBuildLogGroup" } } },
      ServiceRole: { "Fn::GetAtt": ["ImageBuildRole", "Arn"] },
    });
  });

  it("refuses a deploy while the room has no image, saying what to do", async () => {
    const { provider } = portal();
    const room = await provider.image!.current();
    expect(room).toMatchObject({ image: null, source: "none", canBuild: true });
    await expect(provider.admitDeploy!()).rejects.toThrow(/Build the room's image/);
  });

  it("builds the image: a second request while it runs starts nothing, the stream follows phases and log to success, and deploys then run that image", async () => {
    const { provider, clients } = portal();
    const tools = provider.image!;
    const page = watch(tools);
    const first = await tools.startBuild();
    expect(first.started).toBe(true);
    page.channel.follow(first.build);
    const second = await tools.startBuild();
    expect(second).toMatchObject({ started: false, build: { id: first.build.id } });
    expect(second.message).toMatch(/already running/);
    expect([...player.builds.values()].filter((b) => b.buildStatus === "IN_PROGRESS")).toHaveLength(1);

    await player.finish(first.build.id);
    await until(() => page.lastBuild()?.status === "SUCCEEDED");
    const pins = await pinsHash();
    const image = `${outputs.ImageRepositoryUri}:pins-${pins}`;
    expect(page.lastBuild()?.phases.map((p) => p.phase)).toEqual(["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]);
    await until(() => page.lines().some((l) => l === `Pushed ${image}`));
    expect(page.lines().filter((l) => l.includes("Entering phase BUILD"))).toHaveLength(1);
    page.stop();

    const room = await tools.current();
    expect(room).toMatchObject({ image, source: "built", imagePins: pins, portalPins: pins });
    expect(pinsWarning(room)).toBeNull();

    const env: EnvironmentRef = { id: "env-img-ada", stackName: "dask-img-ada", attendeeId: "ada", attendeeEmail: "ada@example.org" };
    await provider.admitDeploy!();
    await provider.deploy(env, { workers: 0 });
    const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({ StackName: env.stackName }));
    expect(Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === "DaskImage")?.ParameterValue).toBe(image);
  });

  it("shows a failed build's phase and its last log lines, and keeps the last good image", async () => {
    const { provider } = portal();
    const tools = provider.image!;
    const before = (await tools.current()).image;
    const message = "COMMAND_EXECUTION_ERROR: Error while executing command: docker build docker/ --platform linux/arm64. Reason: exit status 1";
    player.failNextBuild({ failAt: "BUILD", message });
    const page = watch(tools);
    const started = await tools.startBuild();
    page.channel.follow(started.build);
    await player.finish(started.build.id);
    await until(() => page.lastBuild()?.status === "FAILED");
    const build = page.lastBuild()!;
    expect(build.failedPhase).toMatchObject({ phase: "BUILD", status: "FAILED", message });
    expect(buildOutcome(build)).toBe(`The build failed in BUILD (FAILED): ${message}`);
    await until(() => page.lines().some((l) => l.endsWith(message)));
    expect(page.lines().slice(-2)[0]).toContain(message);
    expect(page.lines().at(-1)).toContain("Phase complete: BUILD State: FAILED");
    page.stop();
    expect((await tools.current()).image).toBe(before);
  });

  it("solo mode has no room image: a deploy needs DASK_IMAGE and says so", async () => {
    const { provider } = portal({ PORTAL_AWS_MODE: "solo", PORTAL_EVENT_STACK: undefined });
    expect(provider.image).toBeUndefined();
    await expect(provider.admitDeploy!()).rejects.toThrow(
      "No Dask image is configured: set DASK_IMAGE to the image you built from docker/ (Lab 2: docker buildx for linux/amd64, or CodeBuild), then restart the portal.",
    );
  });

  it("warns when the room's image carries other pins than the portal's", async () => {
    const { provider } = portal({ DASK_IMAGE: `${outputs.ImageRepositoryUri}:pins-aaaaaaaaaaaa` });
    const room = await provider.image!.current();
    expect(room).toMatchObject({ source: "configured", imagePins: "aaaaaaaaaaaa" });
    expect(pinsWarning(room)).toMatch(/built from other pins \(pins-aaaaaaaaaaaa\) than this portal's docker\/requirements.txt/);
  });
});
