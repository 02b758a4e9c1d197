// The AWS dashboard through the portal (PORTAL_DASHBOARD_ACCESS=vpc), against moto server: the
// portal runs in the event's VPC and its content origin forwards /environments/<id>/dashboard/…
// to the scheduler task's private address. Moto's RunTask gives an awsvpc task a random
// 10.x.x.x address: givePrivateAddress plays Fargate's AssignPublicIp DISABLED, and
// test/moto/private-address-shim.mjs reports a loopback address for that task instead, where
// a real `dask scheduler` of the test's own serves its dashboard under the proxied path.
import { spawn, type ChildProcess } from "node:child_process";
import { eagerCadence } from "@/test/support/moto";
import http from "node:http";
import path from "node:path";
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployEventStack, givePrivateAddress, motoTemplateTransform, playFargate } from "../../../test/moto/index.mjs";
import { startPrivateAddressShim } from "../../../test/moto/private-address-shim.mjs";
import { ownMoto } from "../../../test/support/moto";
import { ContentServer } from "@/lib/content/server";
import { CONTENT_COOKIE, STATE_COOKIE, type ContentSecrets, type ContentViewer } from "@/lib/content/session";
import { TicketBook } from "@/lib/content/tickets";
import { openDb, useStore } from "@/lib/db";
import { providerRef } from "@/lib/db/environment-queries";
import { proxiedBase, type EnvironmentRef, type Provider } from "@/lib/providers/contract";
import { attendee, environmentRow } from "@/test/support/unit";
import { loadAwsConfig } from "./config";
import { createAwsProvider } from "./provider";

const endpoint = await ownMoto();
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
const region = "us-west-2";
const ec2 = new EC2Client({ endpoint, region });
const cfn = new CloudFormationClient({ endpoint, region });

/** Where the test's scheduler listens: loopback only, never a real private address. */
const schedulerAddress = "127.0.0.87";
const secrets: ContentSecrets = { sessionSecret: "a-secret-for-the-tests-only-0000000000", joinCode: "JOIN-CODE" };

function request(port: number, url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: url, headers: { host: `localhost:${port}`, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const cookieFrom = (setCookie: string[] | undefined, name: string) => setCookie?.find((c) => c.startsWith(`${name}=`))?.split(";")[0];

/** A real Dask scheduler whose dashboard is served under the environment's proxied path, as the template starts it. */
async function startScheduler(prefix: string): Promise<ChildProcess> {
  const python = path.resolve(".venv/bin/python");
  const child = spawn(
    python,
    ["-m", "distributed.cli.dask_scheduler", "--host", schedulerAddress, "--port", "0", "--dashboard-address", `${schedulerAddress}:8787`, "--dashboard-prefix", prefix],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (c) => (log += c));
  const until = Date.now() + 45_000;
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: schedulerAddress, port: 8787, path: `${prefix}/status` }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
    });
    if (answered) return child;
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the test's dask scheduler did not serve its dashboard:\n${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("dashboards through the portal, in the event's VPC", () => {
  let shim: Awaited<ReturnType<typeof startPrivateAddressShim>>;
  let provider: Provider;
  let scheduler: ChildProcess | undefined;
  let content: ContentServer;
  let port = 0;
  let portalGroup = "";
  const tickets = new TicketBook();
  let restoreStore = () => {};
  let ada: ReturnType<typeof attendee>;
  let bob: ReturnType<typeof attendee>;
  let adaEnv: EnvironmentRef;
  let bobEnv: EnvironmentRef;

  beforeAll(async () => {
    restoreStore = useStore(openDb(":memory:"));
    ada = attendee("Ada");
    bob = attendee("Bob");
    adaEnv = providerRef(environmentRow(ada.id, "dask-vpc-ada"));
    bobEnv = providerRef(environmentRow(bob.id, "dask-vpc-bob"));

    const event = await deployEventStack(endpoint, { stackName: "vpc-event", eventId: "vpc-event" });
    // The portal host's group, as cloudformation/portal-host.yaml makes it in the event's VPC.
    ({ GroupId: portalGroup = "" } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "portal-host", Description: "the portal host", VpcId: event.VpcId })));
    shim = await startPrivateAddressShim({ target: endpoint });
    provider = createAwsProvider(
      loadAwsConfig(
        {
          AWS_REGION: region,
          AWS_ENDPOINT_URL: shim.endpoint,
          PORTAL_AWS_MODE: "event",
          PORTAL_EVENT_ID: "vpc-event",
          PORTAL_EVENT_STACK: "vpc-event",
          PORTAL_DASHBOARD_ACCESS: "vpc",
          PORTAL_HOST_SECURITY_GROUP: portalGroup,
          PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
          DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop/vpc:pins-0123456789ab",
        },
        { templateTransform: motoTemplateTransform, cadence: eagerCadence },
      ),
    );
    for (const env of [adaEnv, bobEnv]) {
      await provider.deploy(env, { workers: 1 });
      await playFargate(endpoint, env.stackName);
    }
    const { taskId } = await givePrivateAddress(endpoint, adaEnv.stackName);
    shim.place(taskId, schedulerAddress);
    scheduler = await startScheduler(proxiedBase(adaEnv.id, "dashboard"));

    const access = provider.dashboardAccess;
    if (access.mode !== "proxied") throw new Error(`expected proxied dashboards, got ${access.mode}`);
    content = new ContentServer({ config: { content: { port: 0, portalPort: 3000 }, publicUrl: undefined }, access, secrets: () => secrets, tickets });
    port = await content.listen();
  }, 120_000);

  afterAll(async () => {
    content?.close();
    scheduler?.kill();
    await shim?.close();
    restoreStore();
  });

  /** A content session for `viewer` on Ada's environment, through the hand-off as a browser makes it (the ticket the portal's route would give). */
  async function sessionFor(viewer: ContentViewer): Promise<string> {
    const page = `${proxiedBase(adaEnv.id, "dashboard")}/status`;
    const start = await request(port, page, { "sec-fetch-mode": "navigate" });
    expect(start.status).toBe(303);
    const state = new URL(start.headers.location!).searchParams.get("state")!;
    const ticket = tickets.issue({ envId: adaEnv.id, kind: "dashboard", viewer, path: page }, state);
    const taken = await request(port, `/environments/${adaEnv.id}/handoff?ticket=${ticket}`, { cookie: cookieFrom(start.headers["set-cookie"], `${STATE_COOKIE}-dashboard`)! });
    expect(taken.status).toBe(303);
    return cookieFrom(taken.headers["set-cookie"], CONTENT_COOKIE)!;
  }

  it("deploys the stack for proxied dashboards: 8787 open to the portal host's group only, no address range, the dashboard under the proxied path", async () => {
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: adaEnv.stackName }));
    const groupId = StackResources?.find((r) => r.LogicalResourceId === "SchedulerSecurityGroup")?.PhysicalResourceId;
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId!] }));
    const dashboardRules = (SecurityGroups?.[0]?.IpPermissions ?? []).filter((p) => p.FromPort === 8787);
    expect(dashboardRules.flatMap((p) => p.IpRanges ?? [])).toEqual([]);
    expect(dashboardRules.flatMap((p) => (p.UserIdGroupPairs ?? []).map((g) => g.GroupId))).toEqual([portalGroup]);

    // Moto's CloudFormation keeps no service network configuration, so AssignPublicIp DISABLED
    // and the private subnets are read from the parameters that choose them in attendee.yaml.
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: adaEnv.stackName }));
    const parameters = Object.fromEntries((Stacks?.[0]?.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(parameters).toMatchObject({ DashboardAccess: "vpc", PortalSecurityGroupId: portalGroup, DashboardPrefix: proxiedBase(adaEnv.id, "dashboard") });
  });

  it("links the dashboard at its path on the content origin once the scheduler runs, and only the dashboard", async () => {
    expect((await provider.describe(adaEnv)).links.dashboard).toBe(`${proxiedBase(adaEnv.id, "dashboard")}/status`);
    const access = provider.dashboardAccess;
    if (access.mode !== "proxied") throw new Error("expected proxied dashboards");
    expect(access.target(adaEnv, "dashboard")).toEqual({ via: "network", host: schedulerAddress, port: 8787, headers: {} });
    expect(access.target(adaEnv, "notebook")).toBeUndefined();
    // Bob's scheduler runs without an interface the harness placed: no address, no link.
    expect((await provider.describe(bobEnv)).links.dashboard).toBeUndefined();
    expect(access.target(bobEnv, "dashboard")).toBeUndefined();
  });

  it("forwards the owner's and the facilitator's requests to the scheduler's private address", async () => {
    for (const viewer of [{ role: "attendee", id: ada.id, sessionVersion: ada.sessionVersion }, { role: "facilitator", id: "facilitator" }] as ContentViewer[]) {
      const session = await sessionFor(viewer);
      const res = await request(port, `${proxiedBase(adaEnv.id, "dashboard")}/status`, { cookie: session });
      expect(res.status, viewer.role).toBe(200);
      expect(res.body, viewer.role).toMatch(/Dask/);
    }
  });

  it("refuses anyone else: another attendee as a missing environment, a browser without a session with 401", async () => {
    const bobs = await sessionFor({ role: "attendee", id: bob.id, sessionVersion: bob.sessionVersion });
    const asBob = await request(port, `${proxiedBase(adaEnv.id, "dashboard")}/status`, { cookie: bobs, accept: "application/json" });
    expect(asBob.status).toBe(404);
    expect(asBob.body).not.toMatch(/Dask/);
    const outsider = await request(port, `${proxiedBase(adaEnv.id, "dashboard")}/status`, { accept: "application/json" });
    expect(outsider.status).toBe(401);
  });
});
