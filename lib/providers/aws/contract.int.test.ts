import { afterAll, beforeAll, describe } from "vitest";
import { eagerCadence } from "@/test/support/moto";
import { deployEventStack, holdTaskStates, motoTemplateTransform, playFargate, prepareStackDeletion, putLogLines, startMoto } from "../../../test/moto/index.mjs";
import { startPresignShim } from "../../../test/moto/presign-shim.mjs";
import { isDeleting, isQuiet } from "@/lib/status";
import { contractEnvironment, describeUntil, providerContract } from "../provider-contract";
import type { Provider } from "@/lib/providers/contract";
import { loadAwsConfig } from "./config";
import { createAwsProvider } from "./provider";

// The provider contract against moto, in both modes. Moto is not Fargate: the platform
// here is the harness, which starts each service's tasks (test/moto/fargate.mjs) and
// writes the scheduler's log lines as the awslogs driver would. A moto of its own: one
// that another suite left holding a refused stack answers 500 to DescribeStacks listings.
// The provider reaches it through the presign shim (test/moto/presign-shim.mjs), which
// answers CreatePresignedNotebookInstanceUrl, the one call moto lacks.
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

let moto: Awaited<ReturnType<typeof startMoto>>;
let shim: Awaited<ReturnType<typeof startPresignShim>>;
beforeAll(async () => {
  moto = await startMoto();
  await holdTaskStates(moto.endpoint);
  shim = await startPresignShim({ target: moto.endpoint });
});
afterAll(async () => {
  await shim?.close();
  await moto?.stop();
});

describe.each(["event", "solo"] as const)("the AWS provider keeps the provider contract (%s mode)", (mode) => {
  const eventStack = `contract-${mode}`;
  let provider: Provider;
  let n = 0;

  beforeAll(async () => {
    if (mode === "event") await deployEventStack(moto.endpoint, { stackName: eventStack, eventId: eventStack });
    provider = createAwsProvider(
      loadAwsConfig(
        {
          AWS_REGION: "us-west-2",
          AWS_ENDPOINT_URL: shim.endpoint,
          PORTAL_AWS_MODE: mode,
          PORTAL_EVENT_ID: eventStack,
          PORTAL_EVENT_STACK: mode === "event" ? eventStack : undefined,
          PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
          DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
          PORTAL_MAX_WORKERS: "4",
        },
        { templateTransform: motoTemplateTransform, cadence: eagerCadence },
      ),
    );
  });

  providerContract(() => ({
    provider,
    newEnvironment: () => contractEnvironment(`aws-${mode}`, ++n),
    platform: {
      async settle(env) {
        if (!isDeleting((await provider.describe(env)).status)) await playFargate(moto.endpoint, env.stackName);
        return describeUntil(provider, env, isQuiet, 30_000);
      },
      async schedulerWrites(env) {
        const scheduler = (await provider.describe(env)).tasks.find((t) => t.role === "scheduler" && t.lastStatus === "RUNNING");
        const text = `contract line ${Date.now()}`;
        await putLogLines(moto.endpoint, { stackName: env.stackName, role: "scheduler", taskId: scheduler!.id, lines: [{ text }] });
        return text;
      },
      beforeDestroy: (env) => prepareStackDeletion(moto.endpoint, env.stackName),
    },
  }));
});
