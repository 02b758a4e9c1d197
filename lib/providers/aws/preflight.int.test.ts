// Preflight against moto server, each line green and red with the account seeded through
// the AWS APIs. Moto implements Service Quotas only for "vpc" (no Fargate, SageMaker or EC2
// quotas, no ListServiceQuotas): those lines say the quota could not be read and where to look
// it up; their arithmetic, green and red, is in preflight.test.ts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { AllocateAddressCommand, CreateVpcCommand } from "@aws-sdk/client-ec2";
import { CreateRepositoryCommand, PutImageCommand } from "@aws-sdk/client-ecr";
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import { CreateRoleCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateNotebookInstanceCommand } from "@aws-sdk/client-sagemaker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdTaskStates, repoRoot, startMoto } from "../../../test/moto/index.mjs";
import type { CloudTools, PreflightKey, PreflightLine, PreflightResult } from "@/lib/providers/contract";
import { createAwsClients, type AwsClients } from "./clients";
import { loadAwsConfig } from "./config";
import { era5TemperatureKey } from "./preflight-checks";
import { createAwsProvider } from "./provider";

// A moto of its own: what these tests seed (VPCs, Elastic IPs, roles, the ERA5 bucket) is
// account-wide and would change other suites' answers, and theirs would change these.
let moto: Awaited<ReturnType<typeof startMoto>>;
let endpoint: string;
let seed: AwsClients;
beforeAll(async () => {
  moto = await startMoto();
  endpoint = moto.endpoint;
  await holdTaskStates(endpoint);
  seed = createAwsClients(loadAwsConfig({ AWS_REGION: "us-west-2", AWS_ENDPOINT_URL: endpoint }));
});
afterAll(() => moto?.stop());

process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

const pins = `pins-${createHash("sha256").update(readFileSync(`${repoRoot}/docker/requirements.txt`)).digest("hex").slice(0, 12)}`;
const trustEcs = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "cloudformation.amazonaws.com" }, Action: "sts:AssumeRole" }] });

/** The facilitator's tools of a provider with this configuration; some clients may be sent elsewhere. */
function toolsFor(env: Record<string, string>, elsewhere: Partial<Record<keyof AwsClients, string>> = {}): CloudTools {
  // A larger call budget than the portal's default: moto on loopback has no account quotas to protect.
  const budget = { PORTAL_AWS_CALL_BUDGET: "ec2-read=50,cfn-read=50,ecs-read=50,sagemaker=50" };
  const config = loadAwsConfig({ AWS_REGION: "us-west-2", AWS_ENDPOINT_URL: endpoint, PORTAL_EVENT_ID: "preflight-it", ...budget, ...env });
  const clients = createAwsClients(config);
  for (const [name, url] of Object.entries(elsewhere)) {
    (clients as unknown as Record<string, unknown>)[name] = createAwsClients({ ...config, endpoint: url })[name as keyof AwsClients];
  }
  const provider = createAwsProvider(config, { clients });
  if (!provider.cloud) throw new Error("the AWS provider offers the facilitator's cloud tools");
  return provider.cloud;
}

function lineOf(result: PreflightResult, key: PreflightKey): PreflightLine {
  const line = result.lines.find((l) => l.key === key);
  if (!line) throw new Error(`no ${key} line in ${result.lines.map((l) => l.key).join(", ")}`);
  return line;
}

const solo = { PORTAL_AWS_MODE: "solo" };
const nothingMore = { PORTAL_ERA5_MONTHS: "2021-01" };

/** A stack of nothing but outputs (moto completes it at once). */
async function outputsStack(name: string, outputs: Record<string, string>): Promise<void> {
  const template = {
    Resources: { Nothing: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
  };
  await seed.cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
}

describe("preflight on moto", () => {
  it("answers every line in solo mode, and each quota moto cannot serve says so and where to look it up", async () => {
    const result = await toolsFor({ ...solo, ...nothingMore }).preflight(3);
    expect(result.lines.map((l) => l.key)).toEqual([
      "fargate-vcpu",
      "fargate-spot-vcpu",
      "notebook-instances",
      "notebook-instance-type",
      "vpcs",
      "elastic-ips",
      "ecs-service-linked-role",
      "service-quotas-service-linked-role",
      "cost-allocation-tag",
      "access-stack",
      "room-image",
      "notebook-commit",
      "era5-months",
      "era5-region",
    ]);
    // What takes days comes first, each with how many days ahead; the rest is for the day itself.
    const before = result.lines.filter((l) => l.stage === "before");
    expect(before.map((l) => l.key)).toEqual(result.lines.slice(0, before.length).map((l) => l.key));
    for (const line of before) expect(line.daysAhead, line.key).toBeGreaterThan(0);
    for (const key of ["fargate-vcpu", "fargate-spot-vcpu", "notebook-instances", "notebook-instance-type"] as const) {
      const line = lineOf(result, key);
      expect(line).toMatchObject({ kind: "quota", quota: null, quotaSource: "unknown", status: "warn" });
      expect(line.sentence).toContain("the quota could not be read");
      expect(line.fix).toMatch(/^Look up ".+" .*in the Service Quotas console for us-west-2/);
    }
    expect(lineOf(result, "fargate-spot-vcpu").fix).toContain('"Fargate Spot vCPU resource count" (L-36FBB829)');
    expect(lineOf(result, "notebook-instances").fix).toContain('"Total number of notebook instances" (L-04CE2E67)');
    // Found by name only (its code differs by type), so no code to quote when nothing answers.
    expect(lineOf(result, "notebook-instance-type").fix).toContain('"ml.t3.medium for notebook instance usage" in the Service Quotas console');
    // Every line that is not green says how to fix it.
    for (const line of result.lines) if (line.status !== "ok") expect(line.fix, line.key).toMatch(/\.$/);
  });

  it("answers 'could not read' on every quota when Service Quotas cannot be reached at all", async () => {
    const result = await toolsFor({ ...solo, ...nothingMore }, { quotas: "http://127.0.0.1:9" }).preflight(1);
    const quotaLines = result.lines.filter((l) => l.kind === "quota");
    expect(quotaLines.map((l) => [l.key, l.quotaSource])).toEqual([
      ["fargate-vcpu", "unknown"],
      ["fargate-spot-vcpu", "unknown"],
      ["notebook-instances", "unknown"],
      ["notebook-instance-type", "unknown"],
      ["vpcs", "assumed"],
      ["elastic-ips", "assumed"],
    ]);
  });
});

describe("VPCs and Elastic IPs (solo mode)", () => {
  it("is green while the VPCs the room adds fit, and red with the fix once they do not", async () => {
    // moto's account has its default VPC: 1 + 3 stacks = 4 of 5.
    const before = lineOf(await toolsFor({ ...solo, ...nothingMore }).preflight(3), "vpcs");
    expect(before).toMatchObject({ quota: 5, quotaSource: "account", inUse: 1, projected: 4, status: "ok" });
    expect(before.fix).toBeUndefined();

    await seed.ec2.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }));
    await seed.ec2.send(new CreateVpcCommand({ CidrBlock: "10.41.0.0/16" }));
    const after = lineOf(await toolsFor({ ...solo, ...nothingMore }).preflight(3), "vpcs");
    expect(after).toMatchObject({ inUse: 3, projected: 6, status: "fail" });
    expect(after.fix).toBe('Request an increase of "VPCs per Region" (L-F678F1CE) to at least 8 in Service Quotas for us-west-2, at least 7 days before the event, or delete VPCs nothing uses.');
    // The button beside it asks Service Quotas for exactly that.
    expect(after.action).toEqual({ kind: "request-quota-increase", quotaCode: "L-F678F1CE", desired: 8 });
  });

  it("is green with no Elastic IPs taken, and red when the room's NAT addresses would not fit", async () => {
    expect(lineOf(await toolsFor({ ...solo, ...nothingMore }).preflight(3), "elastic-ips")).toMatchObject({ inUse: 0, status: "ok", quotaSource: "assumed" });
    for (let i = 0; i < 3; i++) await seed.ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore }).preflight(3), "elastic-ips");
    expect(line).toMatchObject({ inUse: 3, projected: 6, status: "fail" });
    expect(line.fix).toContain("or release Elastic IPs nothing uses (aws ec2 describe-addresses lists them).");
  });

  it("leaves VPCs and Elastic IPs out in event mode, where the event stack holds the room's one network", async () => {
    const result = await toolsFor({ PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "preflight-missing", ...nothingMore }).preflight(40);
    expect(result.lines.map((l) => l.key)).not.toContain("vpcs");
    expect(result.lines.map((l) => l.key)).not.toContain("elastic-ips");
  });
});

describe("Fargate On-Demand and Spot", () => {
  it("counts running Spot tasks against Spot and the rest against On-Demand, and plans Spot workers on Spot", async () => {
    const cluster = "preflight-room";
    await seed.ecs.send(new CreateClusterCommand({ clusterName: cluster, capacityProviders: ["FARGATE", "FARGATE_SPOT"] }));
    const { taskDefinition } = await seed.ecs.send(
      new RegisterTaskDefinitionCommand({ family: "preflight-dask", containerDefinitions: [{ name: "dask", image: "dask", memory: 512 }] }),
    );
    const run = (strategy: "FARGATE" | "FARGATE_SPOT", count: number) =>
      seed.ecs.send(new RunTaskCommand({ cluster, taskDefinition: taskDefinition!.taskDefinitionArn, capacityProviderStrategy: [{ capacityProvider: strategy, weight: 1 }], count }));
    await run("FARGATE", 1); // a scheduler
    await run("FARGATE_SPOT", 2); // its workers
    await outputsStack("preflight-event", { ClusterName: cluster });

    const result = await toolsFor({ PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "preflight-event", ...nothingMore }).preflight(10);
    expect(result.workerCapacity).toBe("FARGATE_SPOT");
    // moto's tasks do not report their size: each is counted at the worker size (1 vCPU).
    expect(lineOf(result, "fargate-vcpu")).toMatchObject({ inUse: 1, needed: 10, projected: 10 });
    expect(lineOf(result, "fargate-vcpu").sentence).toContain("The room needs 10 vCPU (10 attendees × 1 vCPU: the scheduler's 1; the workers run on Spot)");
    expect(lineOf(result, "fargate-spot-vcpu")).toMatchObject({ inUse: 2, needed: 20, projected: 20 });
    expect(lineOf(result, "fargate-spot-vcpu").sentence).toContain("The room needs 20 vCPU (10 attendees × 2 vCPU: 2 Spot workers × 1 vCPU)");

    const onDemand = await toolsFor({ PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "preflight-event", PORTAL_WORKER_CAPACITY: "FARGATE", ...nothingMore }).preflight(10);
    expect(onDemand.lines.map((l) => l.key)).not.toContain("fargate-spot-vcpu");
    expect(lineOf(onDemand, "fargate-vcpu")).toMatchObject({ inUse: 1, needed: 30 });
  });
});

describe("SageMaker notebook instances", () => {
  it("counts every notebook instance against the total and the running ones of the type against the type's quota", async () => {
    const { Role } = await seed.iam.send(new CreateRoleCommand({ RoleName: "preflight-notebook", AssumeRolePolicyDocument: trustEcs }));
    for (const [name, type] of [["pf-nb-1", "ml.t3.medium"], ["pf-nb-2", "ml.t3.large"]] as const) {
      await seed.sagemaker.send(new CreateNotebookInstanceCommand({ NotebookInstanceName: name, InstanceType: type, RoleArn: Role!.Arn }));
    }
    const result = await toolsFor({ ...solo, ...nothingMore }).preflight(8);
    expect(lineOf(result, "notebook-instances")).toMatchObject({ inUse: 2, needed: 8, projected: 10 });
    expect(lineOf(result, "notebook-instance-type")).toMatchObject({ label: "SageMaker ml.t3.medium notebook instances", inUse: 1, needed: 8, projected: 9 });
    const large = await toolsFor({ ...solo, ...nothingMore, PORTAL_NOTEBOOK_INSTANCE_TYPE: "ml.t3.large" }).preflight(8);
    expect(lineOf(large, "notebook-instance-type").fix).toContain('"ml.t3.large for notebook instance usage"');
  });
});

describe("the ECS service-linked role", () => {
  it("is red with the command and a button until created, then green; creating twice is not an error", async () => {
    const tools = toolsFor({ ...solo, ...nothingMore });
    const missing = lineOf(await tools.preflight(1), "ecs-service-linked-role");
    expect(missing).toMatchObject({ status: "fail", action: { kind: "create-service-linked-role", service: "ecs.amazonaws.com" } });
    expect(missing.fix).toBe("Create it with the button here or with `aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`.");

    expect(await tools.createServiceLinkedRole("ecs.amazonaws.com")).toEqual({ roleName: "AWSServiceRoleForECS", created: true });
    // The call reached IAM for ECS (the harness gives the role IAM's own name, test/moto/service_linked_roles.py).
    const { Roles } = await seed.iam.send(new ListRolesCommand({ PathPrefix: "/aws-service-role/ecs.amazonaws.com/" }));
    expect(Roles?.map((r) => r.RoleName)).toEqual(["AWSServiceRoleForECS"]);

    expect(lineOf(await tools.preflight(1), "ecs-service-linked-role")).toMatchObject({ status: "ok" });
    expect(await tools.createServiceLinkedRole("ecs.amazonaws.com")).toEqual({ roleName: "AWSServiceRoleForECS", created: false });
  });

  it("is amber, not red, when IAM cannot be asked", async () => {
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore }, { iam: "http://127.0.0.1:9" }).preflight(1), "ecs-service-linked-role");
    expect(line.status).toBe("warn");
    expect(line.sentence).toMatch(/could not be read: Cannot reach AWS/);
  });
});

describe("the access stack and CloudFormation's role", () => {
  it("is red when the access stack does not exist, naming the stack and how to make it", async () => {
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore, PORTAL_ACCESS_STACK: "pf-access" }).preflight(1), "access-stack");
    expect(line.status).toBe("fail");
    expect(line.sentence).toContain("The access stack pf-access does not exist");
    expect(line.fix).toContain("deploy cloudformation/portal-access.yaml as the stack pf-access");
  });

  it("is green when the stack is complete and its CloudFormationRoleArn exists", async () => {
    const { Role } = await seed.iam.send(new CreateRoleCommand({ RoleName: "pf-cfn", AssumeRolePolicyDocument: trustEcs }));
    await outputsStack("pf-access", { CloudFormationRoleArn: Role!.Arn!, PortalPolicyArn: "arn:aws:iam::123456789012:policy/pf-portal" });
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore, PORTAL_ACCESS_STACK: "pf-access" }).preflight(1), "access-stack");
    expect(line).toMatchObject({ status: "ok", sentence: `CloudFormation acts with ${Role!.Arn} (from the access stack pf-access), which exists.` });
  });

  it("is red when the stack lacks the output, or names a role that is gone", async () => {
    await outputsStack("pf-access-old", { Something: "else" });
    const old = lineOf(await toolsFor({ ...solo, ...nothingMore, PORTAL_ACCESS_STACK: "pf-access-old" }).preflight(1), "access-stack");
    expect(old).toMatchObject({ status: "fail", sentence: "The access stack pf-access-old has no output CloudFormationRoleArn." });

    await outputsStack("pf-access-gone", { CloudFormationRoleArn: "arn:aws:iam::123456789012:role/pf-deleted" });
    const gone = lineOf(await toolsFor({ ...solo, ...nothingMore, PORTAL_ACCESS_STACK: "pf-access-gone" }).preflight(1), "access-stack");
    expect(gone.status).toBe("fail");
    expect(gone.sentence).toContain("arn:aws:iam::123456789012:role/pf-deleted from the access stack pf-access-gone does not exist");
  });

  it("checks PORTAL_CFN_ROLE_ARN's role instead when it is set", async () => {
    const given = { ...solo, ...nothingMore, PORTAL_ACCESS_STACK: "pf-no-such-stack" };
    const ok = lineOf(await toolsFor({ ...given, PORTAL_CFN_ROLE_ARN: "arn:aws:iam::123456789012:role/pf-cfn" }).preflight(1), "access-stack");
    expect(ok.status).toBe("ok");
    const missing = lineOf(await toolsFor({ ...given, PORTAL_CFN_ROLE_ARN: "arn:aws:iam::123456789012:role/nobody" }).preflight(1), "access-stack");
    expect(missing).toMatchObject({ status: "fail", fix: "Set PORTAL_CFN_ROLE_ARN to a role that exists, or unset it to use the access stack's role." });
  });
});

describe("the room's image", () => {
  const manifest = (n: number) => JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config: { digest: `sha256:${String(n).repeat(64).slice(0, 64)}` }, layers: [] });
  const event = { PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "pf-image-event", ...nothingMore };
  let uri: string;

  it("is amber while the event stack has no image repository", async () => {
    const line = lineOf(await toolsFor({ ...event, PORTAL_EVENT_STACK: "pf-no-event" }).preflight(1), "room-image");
    expect(line).toMatchObject({ status: "warn", fix: "Deploy or update the event stack on this page, then build the room's image on this page." });
  });

  it("is red with 'build the room's image on this page' while the repository is empty", async () => {
    const { repository } = await seed.ecr.send(new CreateRepositoryCommand({ repositoryName: "pf-room" }));
    uri = repository!.repositoryUri!;
    await outputsStack("pf-image-event", { ImageRepositoryUri: uri });
    const line = lineOf(await toolsFor(event).preflight(1), "room-image");
    expect(line).toMatchObject({ status: "fail", sentence: `the event's repository ${uri} holds no image yet.`, fix: "To fix it, build the room's image on this page." });
  });

  it("is red when only images of other pins are there", async () => {
    await seed.ecr.send(new PutImageCommand({ repositoryName: "pf-room", imageManifest: manifest(1), imageTag: "pins-000000000000" }));
    const line = lineOf(await toolsFor(event).preflight(1), "room-image");
    expect(line.status).toBe("fail");
    expect(line.sentence).toContain(`holds images built from other pins (pins-000000000000), not ${pins}`);
    expect(line.fix).toBe("To fix it, build the room's image on this page.");
  });

  it("is green once the image of this checkout's pins is there", async () => {
    await seed.ecr.send(new PutImageCommand({ repositoryName: "pf-room", imageManifest: manifest(2), imageTag: pins }));
    expect(lineOf(await toolsFor(event).preflight(1), "room-image")).toMatchObject({ status: "ok" });
  });

  it("checks DASK_IMAGE instead when it is set: in this account's ECR, missing, or elsewhere", async () => {
    expect(lineOf(await toolsFor({ ...event, DASK_IMAGE: `${uri}:${pins}` }).preflight(1), "room-image").status).toBe("ok");
    const other = lineOf(await toolsFor({ ...event, DASK_IMAGE: `${uri}:pins-000000000000` }).preflight(1), "room-image");
    expect(other.status).toBe("fail");
    const missing = lineOf(await toolsFor({ ...event, DASK_IMAGE: `${uri}:latest` }).preflight(1), "room-image");
    expect(missing).toMatchObject({ status: "fail", fix: "Push that image, or unset DASK_IMAGE and build the room's image on this page." });
    const outside = lineOf(await toolsFor({ ...event, DASK_IMAGE: "ghcr.io/dask/dask:2024.12.1" }).preflight(1), "room-image");
    expect(outside.status).toBe("warn");
    expect(outside.sentence).toContain("cannot check an image outside ECR in us-west-2");
  });

  it("is red in solo mode without DASK_IMAGE, saying how to build one", async () => {
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore }).preflight(1), "room-image");
    expect(line).toMatchObject({ status: "fail", sentence: "No image is configured: solo stacks need DASK_IMAGE." });
    expect(line.fix).toContain(`lab 2 shows (it is tagged ${pins})`);
  });
});

describe("ERA5 in s3://nsf-ncar-era5", () => {
  it("is red when the bucket is not there", async () => {
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore }).preflight(1), "era5-months");
    expect(line.status).toBe("fail");
    expect(line.sentence).toContain("The bucket nsf-ncar-era5 does not exist");
  });

  it("is green when every month's 2 m temperature file is there, red naming a missing month, red when none is", async () => {
    // The bucket lives in us-west-2 as NCAR's does; the portal asks from us-west-2.
    const west = new S3Client({ region: "us-west-2", endpoint, forcePathStyle: true });
    await west.send(new CreateBucketCommand({ Bucket: "nsf-ncar-era5", CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
    for (const month of ["202101", "202102"]) await west.send(new PutObjectCommand({ Bucket: "nsf-ncar-era5", Key: era5TemperatureKey(month), Body: "HDF5" }));
    // Another variable of a month whose 2 m temperature is missing does not count.
    await west.send(new PutObjectCommand({ Bucket: "nsf-ncar-era5", Key: "e5.oper.an.sfc/202103/e5.oper.an.sfc.128_165_10u.ll025sc.2021030100_2021033123.nc", Body: "HDF5" }));

    expect(lineOf(await toolsFor({ ...solo, PORTAL_ERA5_MONTHS: "2021-01..2021-02" }).preflight(1), "era5-months")).toMatchObject({ status: "ok" });

    const some = lineOf(await toolsFor({ ...solo, PORTAL_ERA5_MONTHS: "2021-01..2021-03" }).preflight(1), "era5-months");
    expect(some.status).toBe("fail");
    expect(some.sentence).toContain("1 of 3 months have no 2 m temperature file in the bucket: 2021-03.");
    expect(some.fix).toContain("Set PORTAL_ERA5_MONTHS, and the notebook's years and months, to months the bucket holds, e.g. 2021-01..2021-02.");

    const none = lineOf(await toolsFor({ ...solo, PORTAL_ERA5_MONTHS: "2019-01..2019-02" }).preflight(1), "era5-months");
    expect(none.status).toBe("fail");
    expect(none.sentence).toMatch(/^No month of PORTAL_ERA5_MONTHS \(2019-01\.\.2019-02\) has a 2 m temperature file/);
  });

  it("is amber when S3 cannot be reached", async () => {
    const line = lineOf(await toolsFor({ ...solo, ...nothingMore }, { s3: "http://127.0.0.1:9" }).preflight(1), "era5-months");
    expect(line.status).toBe("warn");
    expect(line.fix).toBe("Check that the portal's host can reach S3 in us-west-2, then re-run these checks.");
  });

  it("is amber outside us-west-2 and green in it", async () => {
    expect(lineOf(await toolsFor({ ...solo, ...nothingMore, AWS_REGION: "us-east-1" }).preflight(1), "era5-region").status).toBe("warn");
    expect(lineOf(await toolsFor({ ...solo, ...nothingMore, AWS_REGION: "us-west-2" }).preflight(1), "era5-region").status).toBe("ok");
  });
});
