// The handler-permission oracle against the shipped access stack, and against a copy of the
// deploy role as it was on 2026-12-06 (fixtures/deploy-role-2026-12-06.json), which had the
// three real-account blockers of issue 20. Needs cfn-lint's schemas (`make tools`).
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { templateCapabilities } from "@/lib/providers/aws/stack";
import before from "./fixtures/deploy-role-2026-12-06.json";
import { accessTemplate, deployRole, type DeployRole } from "./access";
import { oraclePlace, roomDeployments, type Deployment } from "./deployments";
import { excuseTable, refusalTable } from "./excused";
import type { Check } from "./oracle";
import { checkRoom, type RoomVerdict } from "./room";
import { Schemas } from "./schemas";

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
