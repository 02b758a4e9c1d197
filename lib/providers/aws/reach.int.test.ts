// How an attendee reaches their notebook and dashboard on AWS, against moto server.
// Moto has no CreatePresignedNotebookInstanceUrl: the provider talks to moto through
// test/moto/presign-shim.mjs, which answers that one call as SageMaker would (a fresh
// authToken each time, AccessDenied on request) and forwards every other call. Moto's
// RunTask gives a task no public address: givePublicAddress plays Fargate's AssignPublicIp.
// Security group rules are moto's own.
import { CloudFormationClient, DescribeStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { eagerCadence } from "@/test/support/moto";
import { DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployEventStack, givePublicAddress, motoTemplateTransform, playFargate, prepareStackDeletion } from "../../../test/moto/index.mjs";
import { ownMoto } from "../../../test/support/moto";
import { startPresignShim } from "../../../test/moto/presign-shim.mjs";
import type { EnvironmentRef, Provider } from "@/lib/providers/contract";
import { loadAwsConfig } from "./config";
import { maxDashboardAddresses } from "./dashboard-access";
import { createAwsProvider } from "./provider";

const endpoint = await ownMoto();
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
const ec2 = new EC2Client({ endpoint, region: "us-west-2" });
const cfn = new CloudFormationClient({ endpoint, region: "us-west-2" });

/** The scheduler's security group, as CloudFormation made it. */
async function schedulerGroupOf(stackName: string): Promise<string> {
  const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  return StackResources?.find((r) => r.LogicalResourceId === "SchedulerSecurityGroup")?.PhysicalResourceId ?? "";
}

function providerFor(mode: "solo" | "event", awsEndpoint: string): Provider {
  return createAwsProvider(
    loadAwsConfig(
      {
        AWS_REGION: "us-west-2",
        AWS_ENDPOINT_URL: awsEndpoint,
        PORTAL_AWS_MODE: mode,
        PORTAL_EVENT_ID: `reach-${mode}`,
        PORTAL_EVENT_STACK: mode === "event" ? "reach-event" : undefined,
        PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
        PORTAL_DASHBOARD_CIDR: "127.0.0.1/32",
        // A given image: building the room's own is room-image.int.test.ts's subject.
        DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop/reach:pins-0123456789ab",
      },
      { templateTransform: motoTemplateTransform, cadence: eagerCadence },
    ),
  );
}

/** The address-mode provider's admission (PORTAL_DASHBOARD_ACCESS unset). */
function admitter(provider: Provider) {
  const access = provider.dashboardAccess;
  if (access.mode !== "admit-address") throw new Error(`expected dashboards admitted by address, got ${access.mode}`);
  return access.admit;
}

function envRef(mode: string, attendee: string): EnvironmentRef {
  return { id: `env-reach-${mode}-${attendee}`, stackName: `dask-reach-${mode}-${attendee}`, attendeeId: attendee, attendeeEmail: `${attendee}@example.org` };
}

/** Every IPv4 rule on port 8787 in the account: group id, CIDR and description. */
async function dashboardRules() {
  const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({}));
  return (SecurityGroups ?? []).flatMap((g) =>
    (g.IpPermissions ?? [])
      .filter((p) => p.FromPort === 8787 || p.ToPort === 8787)
      .flatMap((p) => (p.IpRanges ?? []).map((r) => ({ groupId: g.GroupId, cidr: r.CidrIp, description: r.Description ?? "" }))),
  );
}

describe("event mode", () => {
  let shim: Awaited<ReturnType<typeof startPresignShim>>;
  let provider: Provider;
  let admit: ReturnType<typeof admitter>;
  const ada = envRef("event", "ada");
  const bob = envRef("event", "bob");
  let adaGroup = "";
  let bobGroup = "";
  let adaIp = "";

  beforeAll(async () => {
    await deployEventStack(endpoint, { stackName: "reach-event", eventId: "reach-event" });
    shim = await startPresignShim({ target: endpoint });
    provider = providerFor("event", shim.endpoint);
    admit = admitter(provider);
    for (const env of [ada, bob]) {
      await provider.deploy(env, { workers: 1 });
      await playFargate(endpoint, env.stackName);
    }
    adaIp = (await givePublicAddress(endpoint, ada.stackName)).publicIp;
    adaGroup = await schedulerGroupOf(ada.stackName);
    bobGroup = await schedulerGroupOf(bob.stackName);
  });
  afterAll(async () => {
    for (const env of [bob]) {
      await prepareStackDeletion(endpoint, env.stackName);
      await provider.destroy(env, "the test");
    }
    await shim.close();
  });

  it("opens the owner's notebook with a presigned URL made at that moment, never the console", async () => {
    const first = await provider.openNotebook(ada);
    const second = await provider.openNotebook(ada);
    expect(first).toMatch(/^https:\/\/[\w-]+\.notebook\.us-west-2\.sagemaker\.aws\?authToken=[\w-]+$/);
    expect(second).not.toBe(first);
    expect(shim.issued()).toHaveLength(2);
  });

  it("keeps the JupyterLab session open until the event ends, within the 30 minutes to 12 hours SageMaker allows", async () => {
    const before = shim.sessionSeconds().length;
    const hour = 3_600_000;
    await provider.openNotebook(ada, { sessionEndsAt: new Date(Date.now() + 3 * hour) });
    await provider.openNotebook(ada, { sessionEndsAt: new Date(Date.now() + 30 * hour) });
    await provider.openNotebook(ada, { sessionEndsAt: new Date(Date.now() + 60_000) });
    await provider.openNotebook(ada);
    const [threeHours, ...rest] = shim.sessionSeconds().slice(before);
    expect(Math.abs(threeHours - 3 * 3600)).toBeLessThanOrEqual(5);
    expect(rest).toEqual([43_200, 1_800, 43_200]);
  });

  it("says which permission the portal lacks when SageMaker refuses to presign", async () => {
    shim.deny(true);
    try {
      const error = await provider.openNotebook(ada).then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(/^the portal's role cannot sagemaker:CreatePresignedNotebookInstanceUrl on [\w-]+: update portal-access$/);
    } finally {
      shim.deny(false);
    }
  });

  it("lets the viewer's address reach their own dashboard, on their own scheduler group only", async () => {
    expect(adaGroup).toMatch(/^sg-/);
    const admission = await admit(ada, { address: "198.51.100.23", who: "attendee ada@example.org" });
    expect(admission).toMatchObject({ url: `http://${adaIp}:8787/status`, added: true, revoked: 0, cidr: "198.51.100.23/32", groupId: adaGroup });
    const rules = (await dashboardRules()).filter((r) => r.cidr === "198.51.100.23/32");
    expect(rules).toHaveLength(1);
    expect(rules[0].groupId).toBe(adaGroup);
    expect(rules[0].description).toMatch(/^portal dashboard \S+ attendee ada@example\.org$/);
    expect(rules[0].groupId).not.toBe(bobGroup);

    // Again (a second tab): no error, still one rule.
    const again = await admit(ada, { address: "198.51.100.23", who: "attendee ada@example.org" });
    expect(again).toMatchObject({ added: false, revoked: 0 });
    expect((await dashboardRules()).filter((r) => r.cidr === "198.51.100.23/32")).toHaveLength(1);
  });

  it("keeps at most a few addresses per environment, removing the oldest", async () => {
    for (let i = 1; i <= maxDashboardAddresses; i++) {
      await admit(ada, { address: `203.0.113.${i}`, who: "attendee ada@example.org" });
    }
    const mine = (await dashboardRules()).filter((r) => r.groupId === adaGroup && r.description.startsWith("portal dashboard"));
    expect(mine.map((r) => r.cidr).sort()).toEqual(Array.from({ length: maxDashboardAddresses }, (_, i) => `203.0.113.${i + 1}/32`).sort());
  });

  it("refuses an address it cannot admit, in words", async () => {
    await expect(admit(ada, { address: "2001:db8::5", who: "attendee ada@example.org" })).rejects.toMatchObject({
      code: "bad_request",
      message: expect.stringMatching(/IPv6/),
    });
    await expect(admit(ada, { address: "unknown", who: "attendee ada@example.org" })).rejects.toMatchObject({
      code: "bad_request",
      message: expect.stringMatching(/PORTAL_TRUSTED_PROXIES/),
    });
  });

  it("says the dashboard is not there yet while the scheduler has no address", async () => {
    await expect(admit(bob, { address: "198.51.100.99", who: "attendee bob@example.org" })).rejects.toMatchObject({ code: "not_found" });
    expect((await dashboardRules()).filter((r) => r.cidr === "198.51.100.99/32")).toEqual([]);
  });

  it("removes the portal's addresses before deleting the stack, and says how many", async () => {
    await prepareStackDeletion(endpoint, ada.stackName);
    const outcome = await provider.destroy(ada, "the test");
    expect(outcome).toEqual({ revokedAddresses: maxDashboardAddresses });
    expect((await dashboardRules()).filter((r) => r.description.startsWith("portal dashboard") && r.description.includes("ada@"))).toEqual([]);
    expect((await provider.describe(ada)).status).toBe("DELETE_COMPLETE");
  });
});

describe("solo mode", () => {
  const provider = providerFor("solo", endpoint);
  const cy = envRef("solo", "cy");

  it("opens the notebook through the SageMaker console, the attendee's own account", async () => {
    await provider.deploy(cy, { workers: 0 });
    expect(await provider.openNotebook(cy)).toMatch(/^https:\/\/us-west-2\.console\.aws\.amazon\.com\/sagemaker\/home\?region=us-west-2#\/notebook-instances\/openNotebook\//);
    await prepareStackDeletion(endpoint, cy.stackName);
    await provider.destroy(cy, "the test");
  });
});
