// The worker maximum on AWS (moto): the notebook's role may call ECS UpdateService on its
// own worker service, so the test does exactly that, past the event's maximum, and plays
// Fargate starting the tasks; the environment's next poll sets the count back.
import { DescribeServicesCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { eagerCadence } from "@/test/support/moto";
import { describe, expect, inject, it } from "vitest";
import { motoClients, motoTemplateTransform, playFargate, stackOutputs } from "../../test/moto/index.mjs";
import { attendee, environmentRow, environmentTab, memoryStorePerTest } from "../../test/support/unit";
import { getEnvironment, providerRef } from "@/lib/db/environment-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { createAwsProvider, loadAwsConfig } from "../providers/aws";
import { Watchers } from "./watchers";

const endpoint = inject("motoEndpoint");
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

memoryStorePerTest();

const provider = createAwsProvider(
  loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: endpoint,
      PORTAL_AWS_MODE: "solo",
      PORTAL_EVENT_ID: "it-limits",
      PORTAL_MAX_WORKERS: "4",
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
    },
    { templateTransform: motoTemplateTransform, cadence: eagerCadence },
  ),
);

async function workerDesiredCount(stackName: string): Promise<number> {
  const { ecs } = motoClients(endpoint);
  const outputs = await stackOutputs(motoClients(endpoint), stackName);
  const { services } = await ecs.send(new DescribeServicesCommand({ cluster: outputs.ClusterName, services: [outputs.WorkerServiceName] }));
  return services?.[0]?.desiredCount ?? -1;
}

describe("the worker maximum on AWS (moto)", () => {
  it("sets a desired count raised with UpdateService outside the portal back to the maximum, and tells the attendee", async () => {
    const row = environmentRow(attendee("Ada").id, "dask-limits-ada");
    const env = providerRef(row);
    await provider.deploy(env, { workers: 2 });
    await playFargate(endpoint, env.stackName);
    const watchers = new Watchers(provider);
    const page = environmentTab();
    const stream = watchers.watch(row);
    stream.subscribe(page.sink, null);
    stream.stop();
    expect((await stream.pollNow())?.desiredWorkers).toBe(2);

    // What a notebook can do with its own role: scale its worker service directly.
    const { ecs } = motoClients(endpoint);
    const outputs = await stackOutputs(motoClients(endpoint), env.stackName);
    await ecs.send(new UpdateServiceCommand({ cluster: outputs.ClusterName, service: outputs.WorkerServiceName, desiredCount: 10 }));
    await playFargate(endpoint, env.stackName);

    const snap = await stream.pollNow();
    expect(snap?.desiredWorkers).toBe(4);
    expect(await workerDesiredCount(env.stackName)).toBe(4);
    expect(getEnvironment(row.id)?.desiredWorkers).toBe(4);
    expect(page.notices()).toEqual(["Your workers were set back to 4, the event's maximum (the worker service had been asked for 10)."]);
    expect(listAudit().filter((a) => a.action === "worker-limit")).toMatchObject([{ target: row.id, detail: "desired count 10 set back to 4" }]);

    // ECS follows the service back down; the next polls leave it there.
    await playFargate(endpoint, env.stackName);
    await stream.pollNow();
    expect(await workerDesiredCount(env.stackName)).toBe(4);
    expect(listAudit().filter((a) => a.action === "worker-limit")).toHaveLength(1);
  });
});
