import path from "node:path";
import { accessForHost, accessTemplate } from "./access";
import type { Place } from "./arns";
import { callerChecks } from "./caller";
import { deployerPolicy } from "./deployer";
import { oraclePlace, roomDeployments } from "./deployments";
import { checkStack, registerStack, TagRegistry, type Check, type OracleInput, type Policy, type StackUnderTest } from "./oracle";
import { StackResolver } from "./resolve";
import type { Schemas } from "./schemas";
import { readTemplate, type Json } from "./template";

// The portal's own host (cloudformation/portal-host.yaml), as the administrator deploys it
// with docs/hosting.md's command: no RoleARN (the administrator's own rights act for every
// handler) and no stack tags. Two network modes: a VPC of its own, and the event stack's VPC
// (the event stack as the portal makes it, deployed first, its exports imported).

export type HostMode = "own VPC" | "event VPC";
export const hostModes: HostMode[] = ["own VPC", "event VPC"];

/**
 * What the access stack's deploy role must be refused for the host stack: its instance, the
 * instance profile, the role without the workshop's boundary, and passing that role to EC2.
 * The privilege separation docs/hosting.md relies on.
 */
export const separation = ["ec2:RunInstances", "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:CreateRole", "iam:PassRole"];

/** The host stack's names to try the deploy role on: as documented, and inside the workshop's prefix (where the role's name scopes do not refuse it). */
export function deployRoleHostNames(repoRoot: string): string[] {
  const access = accessForHost(accessTemplate(repoRoot), oraclePlace);
  return [access.hostStackName, `${access.stackNamePrefix}host`];
}

/** The administrator who deploys it, for the evaluator (any principal of the account will do). */
export const administrator = `arn:aws:iam::${oraclePlace.accountId}:role/administrator`;

export interface HostDeployment {
  mode: HostMode;
  host: StackUnderTest;
  /** Stacks deployed before it whose exports it imports and whose resources it names (the event stack). */
  before: StackUnderTest[];
}

/** The host stack in both modes; `stackName` defaults to the access stack's PortalHostStack. */
export function hostDeployments(repoRoot: string, boundaryArn: string, stackName?: string): HostDeployment[] {
  const access = accessForHost(accessTemplate(repoRoot), oraclePlace);
  const template = readTemplate(path.join(repoRoot, "cloudformation/portal-host.yaml"));
  const event = roomDeployments(repoRoot, boundaryArn)[0].stack;
  const place: Place = { ...oraclePlace, stackName: stackName ?? access.hostStackName };
  const parameters = {
    HostName: "workshop.example.org",
    Commit: "0123456789abcdef0123456789abcdef01234567",
    RepositoryUrl: "https://git.example.org/dask-ecs-workshop.git",
    PortalPolicyArn: access.portalPolicyArn,
    AcmeEmail: "facilitator@example.org",
  };
  const host = (EventStackName: string): StackUnderTest => ({ place, template, parameters: { ...parameters, EventStackName }, tags: {} });
  return [
    { mode: "own VPC", host: host(""), before: [] },
    { mode: "event VPC", host: host(event.place.stackName), before: [event] },
  ];
}

export interface HostOptions {
  /** Also the deployer's own calls (CloudFormation's API, SSM parameters): true for the administrator. */
  caller: boolean;
}

/** Every handler permission of the host stack in one mode (and the caller's own calls), against one principal. */
export async function checkHost(deployment: HostDeployment, oracle: OracleInput, options: HostOptions): Promise<Check[]> {
  const registry = new TagRegistry();
  const exports: Record<string, string> = {};
  for (const before of deployment.before) {
    registerStack(before, registry);
    Object.assign(exports, new StackResolver(before).exports());
  }
  const stack = { ...deployment.host, exports };
  const handlers = await checkStack(stack, oracle, registry);
  return options.caller ? [...(await callerChecks(stack, oracle)), ...handlers] : handlers;
}

/** The generated policy, the one file the administrator needs (make cfn-host-policy writes it). */
export const deployerPolicyFile = (repoRoot: string) => path.join(repoRoot, "cloudformation/portal-host-deployer.json");

/** portal-host.yaml tags every resource with it: resources named only by a generated id are scoped by it. */
export const hostOwnerTag = { key: "workshop:attendee", value: "administrator" };

/** Both modes' checks for one principal. */
export async function checkHostModes(deployments: HostDeployment[], oracle: OracleInput, options: HostOptions): Promise<Map<HostMode, Check[]>> {
  const out = new Map<HostMode, Check[]>();
  for (const deployment of deployments) out.set(deployment.mode, await checkHost(deployment, oracle, options));
  return out;
}

/**
 * The least-privilege policy for the administrator who deploys and deletes the host stack,
 * written from every call of both modes (what is evaluated against does not matter here).
 */
export async function hostDeployerPolicy(repoRoot: string, schemas: Schemas, boundaryArn: string): Promise<Json> {
  const modes = await checkHostModes(hostDeployments(repoRoot, boundaryArn), { principal: administrator, policies: [], schemas }, { caller: true });
  return deployerPolicy([...modes.values()].flat(), { ownerTag: hostOwnerTag });
}

/** The file's text for a policy document. */
export function policyText(document: Json): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function asPolicy(document: Json): Policy {
  return { name: "portal-host-deployer", document };
}
