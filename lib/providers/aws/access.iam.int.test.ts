// The portal's AWS journeys signed as a user that holds only the access stack's policy,
// against moto with IAM enforced (test/moto/iam_server.py: moto checks each action; the
// launcher adds the resource ARNs of the portal's CloudFormation, ECS and Logs calls and a
// PassRole check). A permission missing from cloudformation/portal-access.yaml fails here.
// The harness plays the administrator and Fargate with enforcement off (its fixed test
// credentials are no IAM user), the portal always acts with it on.
import { CodeBuildClient, CreateProjectCommand } from "@aws-sdk/client-codebuild";
import { eagerCadence } from "@/test/support/moto";
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  holdTaskStates,
  motoClients,
  motoTemplateTransform,
  playFargate,
  prepareStackDeletion,
  putLogLines,
  repoRoot,
  setIamEnforcement,
  startMoto,
  stackOutputs,
} from "../../../test/moto/index.mjs";
import type { EnvironmentRef } from "@/lib/providers/contract";
import { loadAwsConfig, type AwsProviderConfig } from "./config";
import { createAwsProvider } from "./provider";

let moto: Awaited<ReturnType<typeof startMoto>>;
let portalKeys: { accessKeyId: string; secretAccessKey: string };
let otherRoleArn: string;
const eventStack = "dask-iam-event";
const env: EnvironmentRef = { id: "env-iam-ada", stackName: "dask-iam-ada-1a2b3c", attendeeId: "ada", attendeeEmail: "ada@example.org" };

/** What the harness does as the administrator or as Fargate: IAM enforcement off meanwhile. */
async function asHarness<T>(fn: () => Promise<T>): Promise<T> {
  await setIamEnforcement(moto.endpoint, false);
  try {
    return await fn();
  } finally {
    await setIamEnforcement(moto.endpoint, true);
  }
}

/**
 * The HTTP status of a refused call. moto answers an IAM refusal of a JSON-protocol service
 * (ECS) in XML, which the SDK cannot parse, so the status is read from the raw response.
 */
async function refusedStatus(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return 200;
  } catch (error) {
    const e = error as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
    return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  }
}

function portal(mode: "event" | "solo", overrides: Partial<AwsProviderConfig> = {}) {
  const config = loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: moto.endpoint,
      PORTAL_AWS_MODE: mode,
      PORTAL_EVENT_ID: "iam-event",
      PORTAL_EVENT_STACK: mode === "event" ? eventStack : undefined,
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      PORTAL_DASHBOARD_CIDR: "203.0.113.7/32",
      // The journeys deploy a given image; building the room's own is its own test below.
      DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop/iam-event:pins-0123456789ab",
    },
    {
      templateTransform: motoTemplateTransform,
      cadence: eagerCadence,
      credentials: portalKeys,
      ...overrides,
    },
  );
  return createAwsProvider(config);
}

// The administrator's side: the access stack as shipped, then a user holding only its policy
// (and, for the negative test, a role the portal must not pass).
const harnessTemplate = () =>
  JSON.stringify({
    Resources: {
      PortalUser: { Type: "AWS::IAM::User" },
      PortalKey: { Type: "AWS::IAM::AccessKey", Properties: { UserName: { Ref: "PortalUser" } } },
      OtherRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "cloudformation.amazonaws.com" }, Action: "sts:AssumeRole" }],
          },
        },
      },
    },
    Outputs: {
      UserName: { Value: { Ref: "PortalUser" } },
      KeyId: { Value: { Ref: "PortalKey" } },
      Secret: { Value: { "Fn::GetAtt": ["PortalKey", "SecretAccessKey"] } },
      OtherRoleArn: { Value: { "Fn::GetAtt": ["OtherRole", "Arn"] } },
    },
  });

/**
 * IAM AttachUserPolicy as a plain query call (the repository has no IAM SDK client, and
 * moto's CloudFormation ignores a user's ManagedPolicyArns); moto routes it by the
 * credential scope and, with enforcement off, checks no signature.
 */
async function attachUserPolicy(userName: string, policyArn: string): Promise<void> {
  const response = await fetch(moto.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "AWS4-HMAC-SHA256 Credential=testing/20260101/us-west-2/iam/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: new URLSearchParams({ Action: "AttachUserPolicy", Version: "2010-05-08", UserName: userName, PolicyArn: policyArn }).toString(),
  });
  if (!response.ok) throw new Error(`AttachUserPolicy failed: ${response.status} ${await response.text()}`);
}

beforeAll(async () => {
  moto = await startMoto({ iam: true });
  await asHarness(async () => {
    await holdTaskStates(moto.endpoint);
    const admin = motoClients(moto.endpoint);
    await admin.cfn.send(
      new CreateStackCommand({
        StackName: "portal-access",
        TemplateBody: readFileSync(path.join(repoRoot, "cloudformation/portal-access.yaml"), "utf8"),
        Parameters: [{ ParameterKey: "EventId", ParameterValue: "iam-event" }],
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    const access = await stackOutputs(admin, "portal-access");
    await admin.cfn.send(new CreateStackCommand({ StackName: "iam-harness", TemplateBody: harnessTemplate(), Capabilities: ["CAPABILITY_IAM"] }));
    const harness = await stackOutputs(admin, "iam-harness");
    await attachUserPolicy(harness.UserName, access.PortalPolicyArn);
    portalKeys = { accessKeyId: harness.KeyId, secretAccessKey: harness.Secret };
    otherRoleArn = harness.OtherRoleArn;
  });
}, 120_000);

afterAll(() => moto?.stop());

describe("the portal, holding only the access stack's policy", () => {
  it("is refused by moto when it signs as no one (enforcement is on)", async () => {
    const stranger = new (await import("@aws-sdk/client-cloudformation")).CloudFormationClient({
      region: "us-west-2",
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "nope" },
    });
    await expect(stranger.send(new DescribeStacksCommand({}))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it("checks the account's headroom (preflight)", async () => {
    const lines = (await portal("solo").cloud!.preflight(2)).lines;
    const vpcs = lines.find((l) => l.key === "vpcs");
    expect(vpcs).toMatchObject({ quotaSource: "account" });
    expect(vpcs && "inUse" in vpcs ? typeof vpcs.inUse : undefined).toBe("number");
    // Every reading preflight makes is one the policy grants: no line reports a refusal.
    expect(lines.filter((l) => /portal's role cannot/i.test(JSON.stringify(l)))).toEqual([]);
  });

  it("deploys the event stack with the access stack's deploy role, once ECS's service-linked role exists", async () => {
    expect(await portal("event").cloud!.createServiceLinkedRole("ecs.amazonaws.com")).toEqual({ roleName: "AWSServiceRoleForECS", created: true });
    const view = await portal("event").cloud!.deployEventStack("iam-request-1");
    expect(["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]).toContain(view.status);
    const status = (await portal("event").cloud!.eventStack()).status;
    expect(status).toBe("CREATE_COMPLETE");
  });

  it("starts a build of the room's image: uploads docker/ and asks CodeBuild", async () => {
    // moto's CloudFormation has no AWS::CodeBuild::Project (the template transform drops it), so
    // the administrator makes the project the event stack would have, under the same name.
    await asHarness(async () => {
      const outputs = await stackOutputs(motoClients(moto.endpoint), eventStack);
      await new CodeBuildClient({ region: "us-west-2", endpoint: moto.endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } }).send(
        new CreateProjectCommand({
          name: outputs.ImageBuildProject,
          source: { type: "S3", location: `${outputs.ImageSourceBucket}/docker.zip` },
          artifacts: { type: "NO_ARTIFACTS" },
          environment: { type: "ARM_CONTAINER", image: "aws/codebuild/amazonlinux-aarch64-standard:3.0", computeType: "BUILD_GENERAL1_LARGE" },
          serviceRole: "arn:aws:iam::123456789012:role/dask-iam-event-ImageBuildRole",
        }),
      );
    });
    const started = await portal("event").image!.startBuild();
    expect(started.started).toBe(true);
    expect(started.build.id).toContain(":");
  });

  const provider = () => portal("event");

  it("deploys, watches, scales and lists an attendee's environment", async () => {
    const p = provider();
    await p.deploy(env, { workers: 2 });
    expect((await p.describe(env)).status).toBe("CREATE_COMPLETE");

    const running = await asHarness(() => playFargate(moto.endpoint, env.stackName));
    await asHarness(() => putLogLines(moto.endpoint, { stackName: env.stackName, role: "worker", taskId: running.worker[0], lines: [{ text: "iam line" }] }));
    const snap = await p.describe(env);
    expect(snap.tasks.filter((t) => t.lastStatus === "RUNNING").map((t) => t.role).sort()).toEqual(["scheduler", "worker", "worker"]);
    const events = await p.events(env, null);
    expect(events.events.some((e) => e.kind === "log" && e.text === "iam line")).toBe(true);

    await p.scale(env, 3);
    expect((await p.describe(env)).desiredWorkers).toBe(3);
    // The notebook link presigns in event mode, an API moto lacks: reach.int.test.ts proves it
    // through the presign shim; here it only matters that the refusal is moto's, not IAM's.
    await expect(p.openNotebook(env)).rejects.not.toThrow(/cannot sagemaker:CreatePresignedNotebookInstanceUrl/);
    expect((await p.listStacks!()).map((s) => s.stackName)).toContain(env.stackName);
  });

  it("cannot scale the scheduler, nor a service outside the event's stacks", async () => {
    const ecs = new ECSClient({ region: "us-west-2", endpoint: moto.endpoint, credentials: portalKeys });
    const outputs = await asHarness(() => stackOutputs(motoClients(moto.endpoint), env.stackName));
    expect(await refusedStatus(ecs.send(new UpdateServiceCommand({ cluster: outputs.ClusterName, service: outputs.SchedulerServiceName, desiredCount: 0 })))).toBe(403);

    await asHarness(async () => {
      const admin = motoClients(moto.endpoint);
      await admin.ecs.send(new CreateClusterCommand({ clusterName: "billing" }));
      await admin.ecs.send(
        new RegisterTaskDefinitionCommand({ family: "billing", containerDefinitions: [{ name: "app", image: "busybox", memory: 128 }] }),
      );
      await admin.ecs.send(new CreateServiceCommand({ cluster: "billing", serviceName: "billing-worker", taskDefinition: "billing", desiredCount: 1 }));
    });
    expect(await refusedStatus(ecs.send(new UpdateServiceCommand({ cluster: "billing", service: "billing-worker", desiredCount: 0 })))).toBe(403);
    const after = await asHarness(() => motoClients(moto.endpoint).ecs.send(new DescribeServicesCommand({ cluster: "billing", services: ["billing-worker"] })));
    expect(after.services?.[0]?.desiredCount).toBe(1);
  });

  it("cannot delete a stack outside the workshop's prefix, and says which permission is missing", async () => {
    const outsider: EnvironmentRef = { ...env, id: "env-outsider", stackName: "iam-harness" };
    await expect(provider().destroy(outsider, "the test")).rejects.toMatchObject({
      message: "The portal's role cannot cloudformation:DeleteStack on iam-harness: update portal-access.",
    });
    const still = await asHarness(() => motoClients(moto.endpoint).cfn.send(new DescribeStacksCommand({ StackName: "iam-harness" })));
    expect(still.Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE");
  });

  it("cannot hand CloudFormation any role but the access stack's", async () => {
    const p = portal("event", { cloudFormationRoleArn: otherRoleArn });
    await expect(p.deploy({ ...env, id: "env-iam-bo", stackName: "dask-iam-bo-4d5e6f", attendeeId: "bo" }, { workers: 0 })).rejects.toMatchObject({
      message: `The portal's role cannot iam:PassRole on ${otherRoleArn}: update portal-access.`,
    });
  });

  it("tears the environment and then the event stack down", async () => {
    const p = provider();
    await asHarness(() => prepareStackDeletion(moto.endpoint, env.stackName));
    await p.destroy(env, "the test");
    expect((await p.describe(env)).status).toBe("DELETE_COMPLETE");

    await asHarness(async () => {
      await prepareStackDeletion(moto.endpoint, eventStack);
      // moto authorises DeleteObjects against the bucket's ARN, where AWS checks s3:DeleteObject
      // on each key (the policy grants <bucket>/*), so the administrator empties the build
      // bucket here (docs/aws-permissions.md, "What moto cannot check").
      const outputs = await stackOutputs(motoClients(moto.endpoint), eventStack);
      const s3 = new S3Client({ region: "us-west-2", endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
      const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: outputs.ImageSourceBucket }));
      for (const { Key } of Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: outputs.ImageSourceBucket, Key }));
    });
    const view = await p.cloud!.deleteEventStack();
    expect(["DELETE_IN_PROGRESS", "DELETE_COMPLETE", "NOT_DEPLOYED"]).toContain(view.status);
  });
});
