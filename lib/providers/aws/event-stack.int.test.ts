// The facilitator's event stack against moto server: deploy (through the same template
// transform seam the portal uses with PORTAL_AWS_TEMPLATE_TRANSFORM=moto), status,
// refusal to delete while an attendee stack imports it, deletion. Moto is a
// control-plane emulator: stacks complete at once, and test/moto's player plays Fargate.
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { eagerCadence } from "@/test/support/moto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdTaskStates, playFargate, prepareStackDeletion, startMoto } from "../../../test/moto/index.mjs";
import type { CloudTools, EnvironmentRef, Provider } from "@/lib/providers/contract";
import { createAwsClients } from "./clients";
import { loadAwsConfig, type AwsProviderConfig } from "./config";
import { createAwsProvider } from "./provider";

process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

// A moto of its own: the shared one may hold a stack whose CreateStack was refused, after
// which moto 5.2.5 answers 500 to every DescribeStacks without a stack name.
let moto: Awaited<ReturnType<typeof startMoto>>;
let endpoint: string;
let config: AwsProviderConfig;
let clients: ReturnType<typeof createAwsClients>;
let provider: Provider;
let tools: CloudTools;
const env: EnvironmentRef = { id: "env-fac-ada", stackName: "dask-fac-ada", attendeeId: "ada", attendeeEmail: "ada@example.org" };

beforeAll(async () => {
  moto = await startMoto();
  endpoint = moto.endpoint;
  await holdTaskStates(endpoint);
  config = loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: endpoint,
      PORTAL_AWS_MODE: "event",
      PORTAL_EVENT_STACK: "fac-event",
      PORTAL_EVENT_ID: "fac-it",
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
      PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
    },
    { cadence: eagerCadence },
  );
  clients = createAwsClients(config);
  provider = createAwsProvider(config);
  tools = provider.cloud!;
});

afterAll(() => moto?.stop());

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("the facilitator's event stack", () => {
  it("is not deployed at first", async () => {
    expect(await tools.eventStack()).toEqual({ mode: "event", stackName: "fac-event", status: "NOT_DEPLOYED", outputs: {} });
  });

  it("refuses to deploy while ECS's service-linked role is missing, with the fix and its button", async () => {
    const view = await tools.deployEventStack("request-0");
    expect(view.status).toBe("NOT_DEPLOYED");
    expect(view.refused).toEqual({
      sentence: expect.stringContaining("AWSServiceRoleForECS does not exist in this account yet"),
      fix: "Create the ECS service-linked role, then deploy the event stack again.",
      action: { kind: "create-service-linked-role", service: "ecs.amazonaws.com" },
    });
    const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({}));
    expect((Stacks ?? []).filter((s) => s.StackName === "fac-event")).toHaveLength(0);
    expect(await tools.createServiceLinkedRole("ecs.amazonaws.com")).toEqual({ roleName: "AWSServiceRoleForECS", created: true });
  });

  it("deploys once, however often it is asked, with the template made moto-ready by the seam", async () => {
    await tools.deployEventStack("request-1");
    await tools.deployEventStack("request-1");
    await tools.deployEventStack("request-2");
    const view = await until(() => tools.eventStack(), (v) => v.status === "CREATE_COMPLETE");
    expect(view.status).toBe("CREATE_COMPLETE");
    expect(view.outputs).toMatchObject({ ClusterName: expect.any(String), LogGroup: "/dask-workshop/fac-event", NamespaceName: "fac-event.dask" });
    const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({}));
    const mine = (Stacks ?? []).filter((s) => s.StackName === "fac-event");
    expect(mine).toHaveLength(1);
    expect(mine[0].Tags).toEqual(
      expect.arrayContaining([
        { Key: "workshop:event", Value: "fac-it" },
        { Key: "workshop:attendee", Value: "facilitator" },
      ]),
    );
  });

  it("counts the room's running vCPU in the event cluster, On-Demand and Spot apart, and says the Fargate quotas could not be read on moto", async () => {
    await provider.deploy(env, { workers: 2 });
    await playFargate(endpoint, env.stackName);
    const result = await tools.preflight(10);
    expect(result.environmentVcpu.total).toBe(3);
    expect(result.workerCapacity).toBe("FARGATE_SPOT");
    const byKey = Object.fromEntries(result.lines.map((l) => [l.key, l]));
    // The scheduler (1 vCPU) runs On-Demand; the two workers (1 vCPU each) on Spot, as the template's defaults say.
    expect(byKey["fargate-vcpu"]).toMatchObject({ inUse: 1, needed: 10, projected: 10, quota: null, quotaSource: "unknown", status: "warn" });
    expect(byKey["fargate-vcpu"].sentence).toContain("The room needs 10 vCPU (10 attendees × 1 vCPU: the scheduler's 1; the workers run on Spot)");
    expect(byKey["fargate-spot-vcpu"]).toMatchObject({ inUse: 2, needed: 20, projected: 20, quota: null, status: "warn" });
    // Moto's tasks do not report their size (Fargate's always do): counted at the worker size, and said.
    expect(byKey["fargate-spot-vcpu"].sentence).toContain("2 vCPU run in the event cluster (2 tasks without a reported size counted at 1 vCPU each)");
    expect(byKey["fargate-vcpu"].sentence).toContain("the quota could not be read");
  });

  it("refuses to delete while an attendee stack still imports it", async () => {
    await expect(tools.deleteEventStack()).rejects.toThrow(
      /^1 attendee stack still uses the event stack \(dask-fac-ada\)\. Tear them down first/,
    );
    expect((await tools.eventStack()).status).toBe("CREATE_COMPLETE");
  });

  it("deletes once the attendee stacks are gone", async () => {
    await prepareStackDeletion(endpoint, env.stackName);
    await provider.destroy(env, "the test");
    await until(() => provider.listStacks!(), (stacks) => stacks.length === 0);
    // Moto never deletes a route table itself; the harness does what AWS would (see test/moto/fargate.mjs).
    await prepareStackDeletion(endpoint, "fac-event");
    await tools.deleteEventStack();
    const view = await until(() => tools.eventStack(), (v) => v.status === "NOT_DEPLOYED");
    expect(view.status).toBe("NOT_DEPLOYED");
  });

  it("deploys again after a deletion (a new request), and deletes again", async () => {
    await tools.deployEventStack("request-3");
    expect((await until(() => tools.eventStack(), (v) => v.status === "CREATE_COMPLETE")).status).toBe("CREATE_COMPLETE");
    await prepareStackDeletion(endpoint, "fac-event");
    await tools.deleteEventStack();
    expect((await until(() => tools.eventStack(), (v) => v.status === "NOT_DEPLOYED")).status).toBe("NOT_DEPLOYED");
  });

  it("says solo mode has no event stack", async () => {
    const solo = createAwsProvider({ ...config, mode: "solo", eventStack: undefined }).cloud!;
    expect((await solo.eventStack()).mode).toBe("solo");
    await expect(solo.deployEventStack("request-5")).rejects.toThrow(/solo mode/);
  });
});
