// The handler-permission oracle against the shipped access stack, and against a copy of the
// deploy role as it was on 2026-12-06 (fixtures/deploy-role-2026-12-06.json), which had the
// three real-account blockers of issue 20; the host stack against the policy generated for its
// administrator, and against the deploy role. Needs cfn-lint's schemas (`make tools`).
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { templateCapabilities } from "@/lib/providers/aws/stack";
import before from "./fixtures/deploy-role-2026-12-06.json";
import { accessTemplate, deployRole, type DeployRole } from "./access";
import { generalise } from "./arns";
import { oraclePlace, roomDeployments, type Deployment } from "./deployments";
import { excuseTable, refusalTable } from "./excused";
import {
  administrator,
  asPolicy,
  checkHost,
  checkHostModes,
  deployerPolicyFile,
  deployRoleHostNames,
  hostDeployerPolicy,
  hostDeployments,
  hostModes,
  hostOwnerTag,
  separation,
  type HostMode,
} from "./host";
import { denied, evaluate, type Check } from "./oracle";
import { checkRoom, type RoomVerdict } from "./room";
import { Schemas } from "./schemas";
import type { Json } from "./template";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const schemas = new Schemas(repoRoot, oraclePlace.region);
const shipped = deployRole(accessTemplate(repoRoot), oraclePlace);

function room(role: DeployRole, deployments = roomDeployments(repoRoot, role.boundaryArn)): Promise<RoomVerdict> {
  return checkRoom(deployments, { principal: role.arn, policies: role.policies, schemas });
}

const refusedOn = (verdict: RoomVerdict, type: string, action: string): Check[] =>
  verdict.denied.filter((c) => c.type === type && c.action === action);

describe("the shipped deploy role", () => {
  let verdict: RoomVerdict;
  beforeAll(async () => {
    verdict = await room(shipped);
  }, 120_000);

  it("allows every handler permission of every stack the portal creates, and the portal acknowledges every capability", () => {
    expect(verdict.denied.map((c) => `${c.logicalId} ${c.operation} ${c.action} ${c.arn}: ${c.decision}`)).toEqual([]);
    expect(verdict.capabilities).toEqual([]);
    expect(verdict.checks.filter((c) => !c.excusedBy).length).toBeGreaterThan(1000);
  });

  it("withholds on purpose what it lists as refused, and the evaluator agrees", () => {
    const onPurpose = verdict.checks.filter((c) => c.refusedOnPurpose);
    expect(onPurpose.map((c) => c.action)).toContain("iam:DeleteRolePermissionsBoundary");
  });
});

describe("the deploy role and code of 2026-12-06", () => {
  let verdict: RoomVerdict;
  const old = before as unknown as DeployRole;
  beforeAll(async () => {
    verdict = await room(old, roomDeployments(repoRoot, old.boundaryArn, { ...templateCapabilities, "event.yaml": [] }));
  }, 120_000);

  it("blocker 1: the event stack, which creates the image build's role, was created without CAPABILITY_IAM", () => {
    expect(verdict.capabilities).toEqual(["event.yaml: CAPABILITY_IAM"]);
  });

  it("blocker 2: every task definition's creation tags it, and ecs:TagResource was allowed on clusters and services only", () => {
    const refused = refusedOn(verdict, "AWS::ECS::TaskDefinition", "ecs:TagResource").filter((c) => c.operation === "create");
    expect(refused.map((c) => c.logicalId).sort()).toEqual(
      ["RehearsalTaskDefinition", "SchedulerTaskDefinition", "SchedulerTaskDefinition", "SchedulerTaskDefinition", "WorkerTaskDefinition", "WorkerTaskDefinition", "WorkerTaskDefinition"],
    );
    expect(refused[0].arn).toMatch(/:task-definition\/dask-[a-z0-9-]+-(scheduler|worker|rehearsal):1$/);
  });

  it("blocker 3: a notebook in a subnet needs its network interface's four rights, which the role lacked", () => {
    const notebook = verdict.denied.filter((c) => c.type === "AWS::SageMaker::NotebookInstance" && c.operation === "create");
    expect([...new Set(notebook.map((c) => c.action))].sort()).toEqual([
      "ec2:CreateNetworkInterface",
      "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface",
      "ec2:DeleteNetworkInterfacePermission",
      "ec2:DescribeDhcpOptions",
    ]);
    // IAM authorises the interface, its subnet and its group: each was refused.
    const arns = notebook.filter((c) => c.action === "ec2:CreateNetworkInterface").map((c) => c.arn.split(":")[5].split("/")[0]);
    expect(new Set(arns)).toEqual(new Set(["network-interface", "subnet", "security-group"]));
  });
});

describe("excuses", () => {
  it("name properties the resource type has and permissions its handlers list", () => {
    for (const [type, excuses] of Object.entries(excuseTable)) {
      const listed = new Set(Object.values(schemas.type(type).permissions).flat());
      for (const [action, excuse] of Object.entries(excuses)) {
        expect(listed.has(action) || [...listed].some((l) => l.endsWith(action.split(":")[1])), `${type} ${action}`).toBe(true);
        for (const property of excuse.properties) expect(schemas.propertyNames(type), `${type} ${property}`).toContain(property.split(".")[0]);
      }
    }
    for (const [type, refusals] of Object.entries(refusalTable)) {
      const listed = new Set(Object.values(schemas.type(type).permissions).flat());
      for (const action of Object.keys(refusals)) expect(listed.has(action), `${type} ${action}`).toBe(true);
    }
  });

  it("stop excusing a permission once a template uses its property: a customer managed key on the notebook", async () => {
    const deployments: Deployment[] = roomDeployments(repoRoot, shipped.boundaryArn);
    const attendee = deployments.find((d) => d.file === "attendee.yaml")!;
    const notebook = attendee.stack.template.Resources.Notebook;
    attendee.stack.template = {
      ...attendee.stack.template,
      Resources: {
        ...attendee.stack.template.Resources,
        Notebook: { ...notebook, Properties: { ...notebook.Properties, KmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" } },
      },
    };
    const verdict = await room(shipped, deployments);
    expect([...new Set(refusedOn(verdict, "AWS::SageMaker::NotebookInstance", "kms:CreateGrant").map((c) => c.arn))]).toEqual([
      "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ]);
  }, 120_000);
});

describe("the host stack (portal-host.yaml), which the administrator deploys with their own rights", () => {
  const written = JSON.parse(readFileSync(deployerPolicyFile(repoRoot), "utf8")) as Json;
  const deployer = asPolicy(written);
  let asAdministrator: Map<HostMode, Check[]>;
  beforeAll(async () => {
    asAdministrator = await checkHostModes(hostDeployments(repoRoot, shipped.boundaryArn), { principal: administrator, policies: [deployer], schemas }, { caller: true });
  }, 120_000);

  it("portal-host-deployer.json is what the oracle writes from the host stack's calls (make cfn-host-policy)", async () => {
    expect(written).toEqual(await hostDeployerPolicy(repoRoot, schemas, shipped.boundaryArn));
  }, 120_000);

  it("maps every call of both network modes, and the modes differ where they should", () => {
    expect([...asAdministrator.keys()]).toEqual(hostModes);
    for (const checks of asAdministrator.values()) {
      expect(checks.filter((c) => c.decision === "unmapped" || c.decision === "not-an-action").map((c) => `${c.logicalId} ${c.action}`)).toEqual([]);
    }
    const own = asAdministrator.get("own VPC")!;
    const event = asAdministrator.get("event VPC")!;
    expect(own.some((c) => c.logicalId === "Vpc" && c.action === "ec2:CreateVpc")).toBe(true);
    expect(event.some((c) => c.logicalId === "Vpc")).toBe(false);
    // In the event's VPC the instance goes into the event stack's subnet, named by its export.
    const subnets = (checks: Check[]) => new Set(checks.filter((c) => c.action === "ec2:RunInstances" && c.sarType === "subnet").map((c) => c.arn));
    expect([...subnets(own)]).not.toEqual([...subnets(event)]);
  });

  it("(a) the generated policy allows every call of the host stack, the administrator's own calls included, in both modes", () => {
    for (const checks of asAdministrator.values()) {
      expect(denied(checks).map((c) => `${c.logicalId} ${c.operation} ${c.action} ${c.arn}: ${c.decision}`)).toEqual([]);
      expect(checks.filter((c) => c.logicalId === "(the stack)").map((c) => c.action)).toContain("cloudformation:CreateChangeSet");
      expect(checks.filter((c) => !c.excusedBy).length).toBeGreaterThan(150);
    }
  });

  it("scopes what names cannot: EC2 by the host's owner tag, the role's policies and where it may be passed", async () => {
    const decide = (action: string, arn: string, context: Record<string, string | string[]> = {}) =>
      evaluate(administrator, oraclePlace.accountId, action, arn, { "aws:RequestedRegion": oraclePlace.region, ...context }, [deployer]).then((r) => r.decision);
    const instance = `arn:aws:ec2:${oraclePlace.region}:${oraclePlace.accountId}:instance/i-0123456789abcdef0`;
    const owned = { [`aws:ResourceTag/${hostOwnerTag.key}`]: hostOwnerTag.value };
    expect(await decide("ec2:TerminateInstances", instance, owned)).toBe("Allowed");
    expect(await decide("ec2:TerminateInstances", instance)).toBe("ImplicitlyDenied");
    expect(await decide("ec2:TerminateInstances", instance, { [`aws:ResourceTag/${hostOwnerTag.key}`]: "ada" })).toBe("ImplicitlyDenied");
    const role = `arn:aws:iam::${oraclePlace.accountId}:role/portal-host-HostRole-ABCDEF123456`;
    expect(await decide("iam:AttachRolePolicy", role, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" })).toBe("Allowed");
    expect(await decide("iam:AttachRolePolicy", role, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" })).toBe("ImplicitlyDenied");
    expect(await decide("iam:PutRolePolicy", role)).toBe("ImplicitlyDenied");
    expect(await decide("iam:PassRole", role, { "iam:PassedToService": "ec2.amazonaws.com" })).toBe("Allowed");
    expect(await decide("iam:PassRole", role, { "iam:PassedToService": "lambda.amazonaws.com" })).toBe("ImplicitlyDenied");
    expect(await decide("iam:PassRole", `arn:aws:iam::${oraclePlace.accountId}:role/portal-access-CloudFormationRole-ABCDEF123456`, { "iam:PassedToService": "ec2.amazonaws.com" })).toBe(
      "ImplicitlyDenied",
    );
    // The copies of the store are the portal's to read, not the deployer's.
    expect(await decide("s3:GetObject", "arn:aws:s3:::portal-host-backupbucket-abcdef123456/store/portal.sqlite")).toBe("ImplicitlyDenied");
  });

  it("grants no EC2 deletion, detachment or stop without the owner tag", () => {
    const statements = (written as { Statement: { Action: string | string[]; Condition?: Record<string, Record<string, unknown>> }[] }).Statement;
    const destructive = /^ec2:(Delete|Terminate|Release|Detach|Disassociate|Stop|Revoke)/;
    for (const statement of statements) {
      const actions = ([] as string[]).concat(statement.Action).filter((a) => destructive.test(a));
      if (actions.length === 0) continue;
      expect(statement.Condition?.StringEquals?.[`aws:ResourceTag/${hostOwnerTag.key}`], actions.join(", ")).toBe(hostOwnerTag.value);
    }
  });

  it("fits one inline policy of a role (IAM counts 10,240 characters without whitespace)", () => {
    expect(JSON.stringify(written).length).toBeLessThanOrEqual(10_240);
  });

  it("stops excusing a permission once the template uses its property: a customer managed key on the data volume", async () => {
    const [own] = hostDeployments(repoRoot, shipped.boundaryArn);
    const volume = own.host.template.Resources.DataVolume;
    const key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    own.host.template = { ...own.host.template, Resources: { ...own.host.template.Resources, DataVolume: { ...volume, Properties: { ...volume.Properties, KmsKeyId: key } } } };
    const checks = await checkHost(own, { principal: administrator, policies: [deployer], schemas }, { caller: true });
    expect([...new Set(denied(checks).filter((c) => c.logicalId === "DataVolume").map((c) => `${c.action} ${c.arn}`))]).toContain(`kms:CreateGrant ${key}`);
  }, 120_000);

  it("(b) the access stack's deploy role cannot make it, named as documented or inside the workshop's prefix", async () => {
    const names = deployRoleHostNames(repoRoot);
    expect(names).toEqual(["portal-host", "dask-host"]);
    for (const name of names) {
      const modes = await checkHostModes(hostDeployments(repoRoot, shipped.boundaryArn, name), { principal: shipped.arn, policies: shipped.policies, schemas }, { caller: false });
      for (const [mode, checks] of modes) {
        const refused = denied(checks);
        const at = (action: string, logicalId: string) => refused.filter((c) => c.iamAction === action && c.logicalId === logicalId && c.operation === "create");
        expect(separation.filter((a) => !refused.some((c) => c.iamAction === a)), `${name} ${mode}`).toEqual([]);
        expect(at("iam:CreateRole", "HostRole"), `${name} ${mode}`).toHaveLength(1);
        expect(at("iam:CreateInstanceProfile", "HostInstanceProfile"), `${name} ${mode}`).toHaveLength(1);
        expect(at("iam:AddRoleToInstanceProfile", "HostInstanceProfile"), `${name} ${mode}`).toHaveLength(1);
        expect(at("ec2:RunInstances", "Host").length, `${name} ${mode}`).toBeGreaterThan(0);
        expect(at("iam:PassRole", "Host").map((c) => c.context?.["iam:PassedToService"]), `${name} ${mode}`).toEqual(["ec2.amazonaws.com"]);
      }
    }
  }, 120_000);

  it("inside the prefix it is the missing boundary that refuses the role: with RoleBoundary on it, CreateRole passes and the instance is still refused", async () => {
    const [own] = hostDeployments(repoRoot, shipped.boundaryArn, deployRoleHostNames(repoRoot)[1]);
    const role = own.host.template.Resources.HostRole;
    own.host.template = {
      ...own.host.template,
      Resources: { ...own.host.template.Resources, HostRole: { ...role, Properties: { ...role.Properties, PermissionsBoundary: shipped.boundaryArn } } },
    };
    const refused = denied(await checkHost(own, { principal: shipped.arn, policies: shipped.policies, schemas }, { caller: false }));
    expect(refused.filter((c) => c.iamAction === "iam:CreateRole")).toEqual([]);
    expect(refused.some((c) => c.iamAction === "ec2:RunInstances")).toBe(true);
    expect(refused.some((c) => c.iamAction === "iam:CreateInstanceProfile")).toBe(true);
  }, 120_000);
});

describe("generalise", () => {
  it("keeps AWS's own account (its managed policies) and refuses an unresolved ARN", () => {
    expect(generalise("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore").pattern).toBe("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
    expect(generalise("arn:aws:s3:::dask-bucket").pattern).toBe("arn:aws:s3:::dask-bucket");
    expect(() => generalise("arn:aws:ec2:us-west-2:123456789012:subnet/{unknown:import x}")).toThrow(/unresolved/);
  });
});
