// The "CodeBuild player". Moto 5.2.5 cannot stand in for CodeBuild: CloudFormation has
// no AWS::CodeBuild::Project, StartBuild ignores the source and variable overrides, and
// every build reads as SUCCEEDED the first time BatchGetBuilds sees it. So the harness
// plays CodeBuild on an HTTP server of its own, speaking CodeBuild's JSON protocol for
// the three calls the portal makes (StartBuild, BatchGetBuilds, ListBuildsForProject);
// the portal's CodeBuild client is pointed at it with AWS_ENDPOINT_URL_CODEBUILD (the
// AWS SDK's per-service endpoint variable). Everything else stays in moto, as on AWS:
//   - a project is one of an event stack's: its ImageBuildProject output names it, and
//     its log group, repository and source bucket come from the same stack's outputs;
//   - StartBuild reads the uploaded source zip from moto's S3 and computes the pins hash
//     of its docker/requirements.txt the way docker/buildspec.yml does;
//   - the test (or the autoplay timer) moves the build through CodeBuild's phases; each
//     phase writes CodeBuild-like lines to the build's stream in moto's CloudWatch Logs;
//   - a build that succeeds pushes <repository>:pins-<hash> into moto's ECR (PutImage);
//     a failed one marks its phase FAILED with a context message and logs the error.
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ECRClient, PutImageCommand } from "@aws-sdk/client-ecr";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { motoClients } from "./fargate.mjs";
import { motoCredentials, motoRegion } from "./server.mjs";

/** CodeBuild's phases after QUEUED, in order (docs/aws.md, "The room's image"). */
export const buildPhases = ["PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"];

const seconds = () => Date.now() / 1000;

/**
 * The pins hash of a source zip's docker/requirements.txt (Python's zipfile reads it).
 * @param {Uint8Array} zipBytes
 */
function pinsOfZip(zipBytes) {
  const result = spawnSync(
    "python3",
    ["-c", "import hashlib, io, sys, zipfile\nz = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))\nprint(hashlib.sha256(z.read('docker/requirements.txt')).hexdigest()[:12])"],
    { input: Buffer.from(zipBytes), encoding: "utf8" },
  );
  return result.status === 0 ? result.stdout.trim() : null;
}

/**
 * @param {string} motoEndpoint
 * @param {{ autoplayMs?: number }} [options] autoplay: advance every running build one phase on this interval
 */
export async function startCodeBuildPlayer(motoEndpoint, options = {}) {
  const clients = motoClients(motoEndpoint);
  const aws = { endpoint: motoEndpoint, region: motoRegion, credentials: motoCredentials };
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const ecr = new ECRClient(aws);
  /** @type {Map<string, any>} */
  const builds = new Map();
  /** @type {{ failAt: string, message: string } | null} how the next build started ends */
  let nextFailure = null;

  /** @param {string} name */
  async function projectOf(name) {
    const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({}));
    for (const stack of Stacks ?? []) {
      const o = Object.fromEntries((stack.Outputs ?? []).map((x) => [x.OutputKey, x.OutputValue]));
      if (o.ImageBuildProject === name) return { name, logGroup: o.ImageBuildLogGroup, repositoryName: o.ImageRepositoryName, repositoryUri: o.ImageRepositoryUri, bucket: o.ImageSourceBucket };
    }
    return null;
  }

  /** @param {any} build @param {string[]} texts */
  async function log(build, texts) {
    const { groupName, streamName } = build.logs;
    if (!build.streamMade) {
      await clients.logs.send(new CreateLogStreamCommand({ logGroupName: groupName, logStreamName: streamName }));
      build.streamMade = true;
    }
    const now = Date.now();
    await clients.logs.send(
      new PutLogEventsCommand({ logGroupName: groupName, logStreamName: streamName, logEvents: texts.map((message, i) => ({ timestamp: now + i, message })) }),
    );
  }

  const stamp = () => new Date().toISOString().replace("T", " ").slice(0, 19).replaceAll("-", "/");

  /** Ends the running phase well and begins the next; the last one completes the build. @param {string} id */
  async function advance(id) {
    const build = builds.get(id);
    if (!build || build.buildStatus !== "IN_PROGRESS") return;
    const current = build.phases.at(-1);
    if (build.failAt && current.phaseType === build.failAt.failAt) return fail(id, build.failAt.message);
    current.phaseStatus = "SUCCEEDED";
    current.endTime = seconds();
    const next = buildPhases[buildPhases.indexOf(current.phaseType) + 1] ?? "PROVISIONING";
    build.phases.push({ phaseType: next, startTime: seconds() });
    build.currentPhase = next;
    const lines = [`[Container] ${stamp()} Entering phase ${next}`];
    if (next === "PRE_BUILD") lines.push(`[Container] ${stamp()} Running command PINS_HASH=$(sha256sum docker/requirements.txt | cut -c1-12)`, `Pins hash ${build.pins}; image ${build.image}`);
    if (next === "BUILD") lines.push(`[Container] ${stamp()} Running command docker build docker/ --platform linux/amd64 --build-arg PINS_HASH=${build.pins}`, "#1 [internal] load build definition from Dockerfile");
    if (next === "POST_BUILD") lines.push(`Pushed ${build.image}`);
    if (next === "COMPLETED") {
      await ecr.send(
        new PutImageCommand({
          repositoryName: build.project.repositoryName,
          imageTag: `pins-${build.pins}`,
          imageManifest: JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config: { digest: `sha256:${build.pins.padEnd(64, "0")}` }, layers: [] }),
        }),
      );
      build.phases.at(-1).phaseStatus = undefined;
      build.buildStatus = "SUCCEEDED";
      build.buildComplete = true;
      build.endTime = seconds();
      lines.push(`[Container] ${stamp()} Phase complete: POST_BUILD State: SUCCEEDED`);
    }
    await log(build, lines);
  }

  /** The running phase fails with `message`; the build then finalises as FAILED. @param {string} id @param {string} message */
  async function fail(id, message) {
    const build = builds.get(id);
    if (!build || build.buildStatus !== "IN_PROGRESS") return;
    const current = build.phases.at(-1);
    current.phaseStatus = "FAILED";
    current.endTime = seconds();
    current.contexts = [{ statusCode: "COMMAND_EXECUTION_ERROR", message }];
    await log(build, [`[Container] ${stamp()} ${message}`, `[Container] ${stamp()} Phase complete: ${current.phaseType} State: FAILED`]);
    build.phases.push({ phaseType: "FINALIZING", phaseStatus: "SUCCEEDED", startTime: seconds(), endTime: seconds() }, { phaseType: "COMPLETED", startTime: seconds() });
    build.currentPhase = "COMPLETED";
    build.buildStatus = "FAILED";
    build.buildComplete = true;
    build.endTime = seconds();
  }

  /** @param {any} body */
  async function startBuild(body) {
    const project = await projectOf(body.projectName);
    if (!project) return [400, { __type: "ResourceNotFoundException", message: `Project cannot be found: ${body.projectName}` }];
    const location = String(body.sourceLocationOverride ?? `${project.bucket}/docker.zip`);
    const slash = location.indexOf("/");
    const object = await s3.send(new GetObjectCommand({ Bucket: location.slice(0, slash), Key: location.slice(slash + 1) })).catch(() => null);
    const pins = object?.Body ? pinsOfZip(await object.Body.transformToByteArray()) : null;
    const uuid = randomUUID();
    const id = `${project.name}:${uuid}`;
    const build = {
      id,
      arn: `arn:aws:codebuild:${motoRegion}:123456789012:build/${id}`,
      buildNumber: builds.size + 1,
      startTime: seconds(),
      currentPhase: "QUEUED",
      buildStatus: "IN_PROGRESS",
      projectName: project.name,
      phases: [
        { phaseType: "SUBMITTED", phaseStatus: "SUCCEEDED", startTime: seconds(), endTime: seconds() },
        { phaseType: "QUEUED", startTime: seconds() },
      ],
      source: { type: "S3", location },
      environment: {
        type: "LINUX_CONTAINER",
        image: "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
        computeType: "BUILD_GENERAL1_MEDIUM",
        privilegedMode: true,
        environmentVariables: [{ name: "REPOSITORY_URI", value: project.repositoryUri, type: "PLAINTEXT" }, ...(body.environmentVariablesOverride ?? [])],
      },
      logs: { groupName: project.logGroup, streamName: uuid },
      buildComplete: false,
    };
    Object.defineProperties(build, {
      project: { value: project, enumerable: false },
      pins: { value: pins ?? "unreadable", enumerable: false },
      image: { value: `${project.repositoryUri}:pins-${pins}`, enumerable: false },
      failAt: { value: pins ? nextFailure : { failAt: "DOWNLOAD_SOURCE", message: `CLIENT_ERROR: no docker/requirements.txt in s3://${location}` }, enumerable: false },
      streamMade: { value: false, writable: true, enumerable: false },
    });
    nextFailure = null;
    builds.set(id, build);
    return [200, { build }];
  }

  /** @param {string} target @param {any} body */
  async function answer(target, body) {
    switch (target) {
      case "StartBuild":
        return startBuild(body);
      case "BatchGetBuilds": {
        const ids = /** @type {string[]} */ (body.ids ?? []);
        return [200, { builds: ids.flatMap((i) => (builds.has(i) ? [builds.get(i)] : [])), buildsNotFound: ids.filter((i) => !builds.has(i)) }];
      }
      case "ListBuildsForProject": {
        const ids = [...builds.values()].filter((b) => b.projectName === body.projectName).map((b) => b.id);
        return [200, { ids: body.sortOrder === "ASCENDING" ? ids : ids.reverse() }];
      }
      default:
        return [400, { __type: "InvalidInputException", message: `The CodeBuild player does not play ${target}` }];
    }
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", async () => {
      const reply = (status, body) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(body));
      };
      try {
        // The harness's own control: how the next build ends (e2e sets it over HTTP).
        if (req.url === "/player/next-build") {
          nextFailure = JSON.parse(raw || "null");
          return reply(200, {});
        }
        const target = String(req.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
        const [status, body] = await answer(target, JSON.parse(raw || "{}"));
        reply(status, body);
      } catch (error) {
        reply(500, { __type: "InternalFailure", message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const timer = options.autoplayMs
    ? setInterval(() => {
        for (const build of builds.values()) if (build.buildStatus === "IN_PROGRESS") void advance(build.id).catch((e) => console.error(`codebuild player: ${e.message}`));
      }, options.autoplayMs)
    : undefined;
  return {
    endpoint,
    builds,
    advance,
    fail,
    /** @param {{ failAt: string, message: string } | null} failure */
    failNextBuild: (failure) => {
      nextFailure = failure;
    },
    /** Advances a build until it is over. @param {string} id */
    async finish(id) {
      while (builds.get(id)?.buildStatus === "IN_PROGRESS") await advance(id);
    },
    stop: () =>
      new Promise((resolve) => {
        if (timer) clearInterval(timer);
        server.close(() => resolve(undefined));
      }),
  };
}
