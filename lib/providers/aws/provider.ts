import "server-only";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { readFileSync } from "node:fs";
import path from "node:path";
import { estimateCost, natDataAssumption, oneOffTaskCost } from "./cost/estimate";
import { CURRENT_PRICES } from "./cost/prices";
import { ProviderError, type Provider, type UsageMeter } from "@/lib/providers/contract";
import type { AwsClients } from "./clients";
import { cloudTools } from "./cloud-tools";
import type { AwsProviderConfig } from "./config";
import { AwsContext } from "./context";
import { dashboardAccess } from "./dashboard-access";
import { environmentEvents } from "./environment-events";
import { toProviderError } from "./errors";
import type { RateLimiter } from "./limiter";
import { deleteStack, deployStack, notebookAddress, scaleWorkers } from "./operations";
import { listFoundStacks } from "./reconcile";
import { awsRehearsal } from "./rehearsal";
import { AwsRoomImage } from "./room-image";
import { describeEnvironment } from "./snapshot";
import { attendeeTemplateFile, validateStackName } from "./stack";

/** The notebook's volume as the attendee template sets it (VolumeSizeInGB). */
function notebookVolumeGb(config: AwsProviderConfig): number | undefined {
  try {
    const found = /^\s+VolumeSizeInGB:\s*(\d+)\s*$/m.exec(readFileSync(path.join(config.templateDir, attendeeTemplateFile(config)), "utf8"));
    return found ? Number(found[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What an environment has cost so far, estimated at list prices from its tasks' sizes and run
 * times, its notebook and volume, the data its NAT gateway is assumed to process, and the log
 * bytes the portal read for it (docs/cost.md).
 */
function costMeter(config: AwsProviderConfig, logBytes: (stackName: string) => number): UsageMeter {
  const assumptions = {
    workerCapacity: config.workerCapacity ?? "FARGATE_SPOT",
    notebookInstanceType: config.notebookInstanceType,
    // Solo stacks each pay for their own NAT gateway; in event mode the room shares one.
    natGateway: config.mode === "solo",
    notebookVolumeGb: notebookVolumeGb(config),
    natData: natDataAssumption,
  } as const;
  return {
    unit: "usd",
    prices: CURRENT_PRICES.version,
    measure: ({ snapshot, createdAt, deletedAt }) =>
      estimateCost({ tasks: snapshot.tasks, createdAt, deletedAt, logBytes: logBytes(snapshot.stackName) }, assumptions).accruedUsd,
    oneOffTask: (task) => oneOffTaskCost(task),
  };
}

/** Solo mode's image: DASK_IMAGE, or a refusal that says how to get one. */
function soloImage(config: AwsProviderConfig): string {
  if (config.daskImage) return config.daskImage;
  throw new ProviderError(
    "bad_request",
    "No Dask image is configured: set DASK_IMAGE to the image you built from docker/ (Lab 2: docker buildx for linux/amd64, or CodeBuild), then restart the portal.",
  );
}

/**
 * The AWS provider: CloudFormation stacks with an ECS cluster on Fargate, watched
 * through ECS, CloudWatch Logs and SageMaker (docs/aws.md). Its parts share one
 * AwsContext: the clients, the call budget and the room-wide reads.
 */
export function createAwsProvider(config: AwsProviderConfig, deps: { clients?: AwsClients; limiter?: RateLimiter } = {}): Provider {
  const ctx = new AwsContext(config, deps);
  // Event mode builds one image for the room; a solo attendee brings their own (DASK_IMAGE).
  const image = config.mode === "event" ? new AwsRoomImage(ctx) : undefined;
  const deployImage = async () => image?.forDeploy() ?? soloImage(config);
  return {
    name: "aws",
    description:
      config.mode === "event"
        ? "A CloudFormation stack in the event's AWS account: a Dask scheduler and workers on ECS Fargate in the room's shared cluster, and a SageMaker notebook."
        : "A CloudFormation stack in AWS: an ECS cluster on Fargate with a Dask scheduler and workers, its own network, and a SageMaker notebook.",
    maxWorkers: config.maxWorkers,
    defaultWorkers: config.defaultWorkers,
    usage: costMeter(config, (stackName) => ctx.logBytes.get(stackName) ?? 0),
    cloud: cloudTools(ctx),
    ...(image ? { image } : {}),
    // The rehearsal's notebook bundle goes to the event stack's source bucket: event mode only.
    ...(config.mode === "event" ? { rehearsal: awsRehearsal(ctx) } : {}),

    async admitDeploy() {
      await deployImage();
    },
    deploy: async (env, options) => deployStack(ctx, env, options, await deployImage()),
    describe: (env) => describeEnvironment(ctx, env),
    events: (env, cursor) => environmentEvents(ctx, env, cursor),
    scale: (env, workers) => scaleWorkers(ctx, env, workers),
    destroy: (env) => deleteStack(ctx, env),
    openNotebook: (env, options) => notebookAddress(ctx, env, options?.sessionEndsAt),
    dashboardAccess: dashboardAccess(ctx),
    listStacks: () => listFoundStacks(ctx),

    async adopt(envs) {
      for (const env of envs) {
        validateStackName(env.stackName);
        ctx.entry(env).adopted = true;
      }
    },

    release() {
      // Nothing runs inside the portal: the stacks live in AWS, and the next start reads them again.
    },

    async health() {
      try {
        await ctx.limiter.run("cfn-read", () =>
          ctx.clients.cfn.send(new DescribeStacksCommand(config.eventStack ? { StackName: config.eventStack } : {})),
        );
        return { ok: true, message: `AWS answers in ${config.region} (${config.mode} mode).` };
      } catch (error) {
        return { ok: false, message: toProviderError(error, "checking AWS").message };
      }
    },

    lastKnownHealth: () => ctx.health.current(),

    onActivity(env, listener) {
      return ctx.activity.add(env.stackName, listener);
    },
  };
}
