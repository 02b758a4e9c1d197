// CloudFormation as AWS runs it, on moto: the harness (test/moto/cloudformation_rules.py)
// refuses a template with IAM resources unless its capabilities are acknowledged, and
// creates a stack's resources as the stack's deploy role, with every create-handler
// permission evaluated by the oracle (cloudformation/oracle). The access stack here is the
// shipped one; to show what a missing handler permission does, the administrator takes
// statements out of its deploy role, as the deploy role of 2026-12-06 lacked them.
import { CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { eagerCadence } from "@/test/support/moto";
import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessTemplate, deployRole } from "../../../cloudformation/oracle/access";
import { holdTaskStates, motoClients, motoCredentials, motoRegion, repoRoot, stackOutputs, startMoto } from "../../../test/moto/index.mjs";
import type { EnvironmentRef, Provider } from "@/lib/providers/contract";
import { loadAwsConfig } from "./config";
import { toProviderError } from "./errors";
import { createAwsProvider } from "./provider";

let moto: Awaited<ReturnType<typeof startMoto>>;
let provider: Provider;
let iam: IAMClient;
let roleName: string;
let shippedPolicy: string;

const env = (name: string): EnvironmentRef => ({ id: `env-${name}`, stackName: `dask-${name}-1a2b3c`, attendeeId: name, attendeeEmail: `${name}@example.org` });

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
}

interface Statement {
  Sid?: string;
  Action: string | string[];
}

/** The deploy role's policy without the statements `drop` names (by Sid), or without one action of one. */
async function withoutStatements(...drop: string[]): Promise<void> {
  const document = JSON.parse(shippedPolicy) as { Statement: Statement[] };
  document.Statement = document.Statement.flatMap((s) => {
    const action = drop.find((d) => d.startsWith(`${s.Sid}/`))?.split("/")[1];
    if (action) return [{ ...s, Action: [s.Action].flat().filter((a) => a !== action) }];
    return drop.includes(s.Sid ?? "") ? [] : [s];
  });
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "workshop-stacks", PolicyDocument: JSON.stringify(document) }));
}

beforeAll(async () => {
  moto = await startMoto();
  await holdTaskStates(moto.endpoint);
  const admin = motoClients(moto.endpoint);
  await admin.cfn.send(
    new CreateStackCommand({
      StackName: "portal-access",
      TemplateBody: readFileSync(path.join(repoRoot, "cloudformation/portal-access.yaml"), "utf8"),
      Parameters: [{ ParameterKey: "EventId", ParameterValue: "role-event" }],
      Capabilities: ["CAPABILITY_IAM"],
    }),
  );
  const access = await stackOutputs(admin, "portal-access");
  roleName = access.CloudFormationRoleArn.split("/").pop()!;
  iam = new IAMClient({ region: motoRegion, endpoint: moto.endpoint, credentials: motoCredentials });
  // The deploy role's policy as the template states it (moto answers GetRolePolicy of a
  // CloudFormation-made role in Python's notation), with the boundary moto named.
  const modelled = deployRole(accessTemplate(repoRoot), { partition: "aws", region: motoRegion, accountId: "123456789012" }, { EventId: "role-event" });
  shippedPolicy = JSON.stringify(modelled.policies[0].document).replaceAll(modelled.boundaryArn, access.RoleBoundaryArn);
  const config = loadAwsConfig(
    {
      AWS_REGION: motoRegion,
      AWS_ENDPOINT_URL: moto.endpoint,
      PORTAL_AWS_MODE: "event",
      PORTAL_EVENT_STACK: "dask-role-event",
      PORTAL_EVENT_ID: "role-event",
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:pins-0123456789ab",
      PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
    },
    { cadence: eagerCadence, credentials: motoCredentials },
  );
  provider = createAwsProvider(config);
}, 120_000);

afterAll(() => moto?.stop());

describe("CloudFormation's rules on moto", () => {
  it("refuses a template with IAM resources unless CAPABILITY_IAM is acknowledged, and the page says what to change", async () => {
    const admin = motoClients(moto.endpoint);
    const refused = await admin.cfn
      .send(new CreateStackCommand({ StackName: "dask-no-capabilities", TemplateBody: readFileSync(path.join(repoRoot, "cloudformation/event.yaml"), "utf8"), Parameters: [{ ParameterKey: "EventId", ParameterValue: "x" }] }))
      .then(() => undefined, (error: unknown) => error);
    expect(refused).toMatchObject({ name: "InsufficientCapabilitiesException", message: "Requires capabilities : [CAPABILITY_IAM]" });
    expect(toProviderError(refused, "creating the event stack").message).toMatch(
      /^CloudFormation refused the stack while creating the event stack: its template creates IAM resources and the portal did not acknowledge CAPABILITY_IAM\. /,
    );
  });

  it("creates the event stack as the shipped deploy role", async () => {
    await provider.cloud!.createServiceLinkedRole("ecs.amazonaws.com");
    await provider.cloud!.deployEventStack("role-request-1");
    const view = await until(() => provider.cloud!.eventStack(), (v) => v.status !== "CREATE_IN_PROGRESS");
    expect(view.status).toBe("CREATE_COMPLETE");
  });

  it("fails an attendee stack at its first task definition when the deploy role may not tag task definitions, naming the role, the permission and the fix", async () => {
    await withoutStatements("EcsTaskDefinitions/ecs:TagResource");
    const ada = env("ada");
    await provider.deploy(ada, { workers: 1 });
    const snapshot = await until(() => provider.describe(ada), (s) => s.status !== "CREATE_IN_PROGRESS");
    expect(snapshot.status).toBe("ROLLBACK_COMPLETE");
    expect(snapshot.reason).toMatch(
      new RegExp(
        `^SchedulerTaskDefinition \\(AWS::ECS::TaskDefinition\\): CloudFormation's deploy role ${roleName} cannot ecs:TagResource on ` +
          "arn:aws:ecs:us-west-2:123456789012:task-definition/dask-ada-1a2b3c-scheduler:1: update the access stack \\(portal-access\\)",
      ),
    );
  });

  it("fails it at the notebook when the deploy role may not make the notebook's network interface", async () => {
    await withoutStatements("NotebookInterfacesInTheEventsSubnets", "NotebookInterfaces");
    const grace = env("grace");
    await provider.deploy(grace, { workers: 1 });
    const snapshot = await until(() => provider.describe(grace), (s) => s.status !== "CREATE_IN_PROGRESS");
    expect(snapshot.status).toBe("ROLLBACK_COMPLETE");
    expect(snapshot.reason).toMatch(/^Notebook \(AWS::SageMaker::NotebookInstance\): CloudFormation's deploy role \S+ cannot ec2:CreateNetworkInterface on arn:aws:ec2:us-west-2:123456789012:/);
  });

  it("creates the whole environment once the deploy role holds every handler permission", async () => {
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "workshop-stacks", PolicyDocument: shippedPolicy }));
    const lin = env("lin");
    await provider.deploy(lin, { workers: 1 });
    const snapshot = await until(() => provider.describe(lin), (s) => s.status !== "CREATE_IN_PROGRESS");
    expect(snapshot.status).toBe("CREATE_COMPLETE");
  });
});
