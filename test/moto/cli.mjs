#!/usr/bin/env node
// Moto for scripts (Playwright global setup, benchmarks, trying the portal by hand).
//
//   node test/moto/cli.mjs start [--port N] [--event-stack NAME] [--event-id ID] [--play-every MS] [--pull-from-ecr]
//       Starts moto, holds ECS task states, deploys the event stack (moto-ready), prints
//       ONE line of JSON {"endpoint", "pid", "env": {...}} to stdout, then keeps running
//       until SIGINT/SIGTERM. With --play-every it plays Fargate for every environment
//       stack in the event's cluster on that interval (start/stop tasks to match each
//       service's desired count, write a start-up log line per new task), and plays
//       CodeBuild for the event's image builds (test/moto/codebuild.mjs), advancing each
//       running build one phase on the same interval. POST {"failAt": PHASE, "message": …}
//       to <env.AWS_ENDPOINT_URL_CODEBUILD>/player/next-build to make the next build fail.
//       With --pull-from-ecr, a task whose ECR image moto's ECR does not hold is stopped
//       with ECS's CannotPullContainerError instead of running (fargate.mjs).
//   node test/moto/cli.mjs play --endpoint URL --stack NAME
//       One round of Fargate for one environment stack; prints the running task ids.
//   node test/moto/cli.mjs stop-task --endpoint URL --stack NAME --task ID --reason TEXT
//   node test/moto/cli.mjs log --endpoint URL --stack NAME --role scheduler|worker --task ID --text TEXT
//   node test/moto/cli.mjs prepare-delete --endpoint URL --stack NAME
//   node test/moto/cli.mjs public-address --endpoint URL --stack NAME
//       Gives the stack's scheduler a public address, as Fargate's AssignPublicIp would
//       (givePublicAddress in fargate.mjs); prints {"taskId", "publicIp"}.
import { parseArgs } from "node:util";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { startCodeBuildPlayer } from "./codebuild.mjs";
import {
  deployEventStack,
  givePublicAddress,
  holdTaskStates,
  motoClients,
  playFargate,
  prepareStackDeletion,
  putLogLines,
  stopTask,
} from "./fargate.mjs";
import { motoCredentials, motoRegion, startMoto } from "./server.mjs";

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    port: { type: "string" },
    endpoint: { type: "string" },
    stack: { type: "string" },
    "event-stack": { type: "string", default: "dask-event" },
    "event-id": { type: "string", default: "dask-event" },
    "play-every": { type: "string" },
    "pull-from-ecr": { type: "boolean", default: false },
    task: { type: "string" },
    reason: { type: "string", default: "Task stopped by the Fargate player" },
    role: { type: "string", default: "worker" },
    text: { type: "string" },
  },
});

/** @param {string | undefined} value @param {string} name */
function required(value, name) {
  if (!value) throw new Error(`--${name} is required`);
  return value;
}

/**
 * Environment stacks in moto: every stack with a SchedulerServiceName output.
 * @param {string} endpoint
 */
async function environmentStacks(endpoint) {
  const { Stacks } = await motoClients(endpoint).cfn.send(new DescribeStacksCommand({}));
  return (Stacks ?? [])
    .filter((s) => s.StackStatus === "CREATE_COMPLETE" || s.StackStatus === "UPDATE_COMPLETE")
    .filter((s) => s.Outputs?.some((o) => o.OutputKey === "SchedulerServiceName"))
    .map((s) => s.StackName ?? "");
}

async function start() {
  const moto = await startMoto({ port: values.port ? Number(values.port) : undefined });
  const every = values["play-every"] ? Number(values["play-every"]) : 0;
  const codebuild = await startCodeBuildPlayer(moto.endpoint, { autoplayMs: every || undefined });
  const stop = async () => {
    await codebuild.stop();
    await moto.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await holdTaskStates(moto.endpoint);
  const eventStack = values["event-stack"] ?? "dask-event";
  const eventId = values["event-id"] ?? "dask-event";
  await deployEventStack(moto.endpoint, { stackName: eventStack, eventId });
  const env = {
    PORTAL_PROVIDER: "aws",
    AWS_REGION: motoRegion,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
    PORTAL_AWS_MODE: "event",
    PORTAL_EVENT_STACK: eventStack,
    PORTAL_EVENT_ID: eventId,
    PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
    DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
    PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
    AWS_ENDPOINT_URL_CODEBUILD: codebuild.endpoint,
  };
  process.stdout.write(`${JSON.stringify({ endpoint: moto.endpoint, pid: moto.pid, env })}\n`);
  if (every > 0) {
    for (;;) {
      for (const stack of await environmentStacks(moto.endpoint).catch(() => [])) {
        await playFargate(moto.endpoint, stack, { pullFromEcr: values["pull-from-ecr"] }).catch((error) => console.error(`play ${stack}: ${error.message}`));
      }
      await new Promise((r) => setTimeout(r, every));
    }
  }
  await new Promise(() => undefined);
}

async function main() {
  switch (command) {
    case "start":
      return start();
    case "play": {
      const running = await playFargate(required(values.endpoint, "endpoint"), required(values.stack, "stack"));
      return void process.stdout.write(`${JSON.stringify(running)}\n`);
    }
    case "stop-task":
      return stopTask(required(values.endpoint, "endpoint"), {
        stackName: required(values.stack, "stack"),
        taskId: required(values.task, "task"),
        reason: values.reason ?? "",
      });
    case "log":
      return putLogLines(required(values.endpoint, "endpoint"), {
        stackName: required(values.stack, "stack"),
        role: values.role === "scheduler" ? "scheduler" : "worker",
        taskId: required(values.task, "task"),
        lines: [{ text: required(values.text, "text") }],
      });
    case "prepare-delete":
      return prepareStackDeletion(required(values.endpoint, "endpoint"), required(values.stack, "stack"));
    case "public-address": {
      const given = await givePublicAddress(required(values.endpoint, "endpoint"), required(values.stack, "stack"));
      return void process.stdout.write(`${JSON.stringify(given)}\n`);
    }
    default:
      throw new Error(`unknown command ${command ?? "(none)"}; see the comment at the top of test/moto/cli.mjs`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
