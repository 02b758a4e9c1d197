import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Capability, Parameter, Stack, StackEvent, Tag } from "@aws-sdk/client-cloudformation";
import { proxiedBase, ProviderError, type EnvironmentRef, type StackStatus } from "@/lib/providers/contract";
import type { AwsProviderConfig } from "./config";
import { deployRoleRefusal } from "./errors";

export const eventTagKey = "workshop:event";
export const attendeeTagKey = "workshop:attendee";
export const environmentTagKey = "workshop:environment";

/**
 * What each template's CreateStack (and any UpdateStack) acknowledges. CloudFormation refuses
 * a stack whose template creates IAM resources unless CAPABILITY_IAM is given, before it
 * creates anything; every workshop template makes roles with generated names. The oracle
 * (cloudformation/oracle) checks this table against what each template needs.
 */
export const templateCapabilities: Record<"event.yaml" | "attendee.yaml" | "solo.yaml", Capability[]> = {
  "event.yaml": ["CAPABILITY_IAM"],
  "attendee.yaml": ["CAPABILITY_IAM"],
  "solo.yaml": ["CAPABILITY_IAM"],
};

/** CloudFormation's own rule for stack names. */
export function validateStackName(name: string): string {
  if (!/^[A-Za-z][-A-Za-z0-9]*$/.test(name) || name.length > 128) {
    throw new ProviderError(
      "bad_request",
      `"${name.slice(0, 140)}" is not a valid stack name: start with a letter, then letters, digits and hyphens, at most 128 characters.`,
    );
  }
  return name;
}

/** Same environment and generation → same token, so a repeated click never makes a second stack. */
export function createToken(env: EnvironmentRef, generation: number): string {
  const digest = createHash("sha256").update(`${env.id}\n${env.stackName}\n${generation}`).digest("hex");
  return `deploy-${digest.slice(0, 40)}`;
}

export interface StackTemplate {
  body: string;
  /** Resources the template declares: the denominator of progress. */
  resourceCount: number;
}

/** Top-level keys of `Resources`, from YAML (two-space indent) or JSON text. */
/**
 * How many resources a stack made from this template creates, for its progress bar. A
 * resource with a Condition is left out: the only ones are the dress rehearsal's task and
 * role, which an attendee's stack never creates.
 */
export function countResources(body: string): number {
  const trimmed = body.trimStart();
  if (trimmed.startsWith("{")) {
    const resources = (JSON.parse(trimmed) as { Resources?: Record<string, { Condition?: string }> }).Resources ?? {};
    return Object.values(resources).filter((r) => !r?.Condition).length;
  }
  let inResources = false;
  let count = 0;
  for (const line of body.split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("#")) inResources = /^Resources:\s*$/.test(line);
    else if (inResources && /^ {2}[A-Za-z0-9]+:\s*$/.test(line)) count++;
    else if (inResources && /^ {4}Condition:\s*\S/.test(line)) count--;
  }
  return count;
}

/** The file an attendee's stack is made from: solo mode's own network, or event mode's shared one. */
export function attendeeTemplateFile(config: AwsProviderConfig): "solo.yaml" | "attendee.yaml" {
  return config.mode === "solo" ? "solo.yaml" : "attendee.yaml";
}

/** A template of cloudformation/ as it is sent to CloudFormation (the tests' transform applied, if any). */
export async function templateBody(config: AwsProviderConfig, file: string): Promise<string> {
  const raw = await readFile(path.join(config.templateDir, file), "utf8");
  return config.templateTransform ? config.templateTransform(raw) : raw;
}

export async function loadTemplate(config: AwsProviderConfig): Promise<StackTemplate> {
  const body = await templateBody(config, attendeeTemplateFile(config));
  return { body, resourceCount: countResources(body) };
}

export function stackParameters(config: AwsProviderConfig, env: EnvironmentRef, workers: number, daskImage: string): Parameter[] {
  if (!config.notebookRepoUrl) {
    throw new ProviderError("bad_request", "PORTAL_NOTEBOOK_REPO_URL is not set: the notebook needs this repository's git URL.");
  }
  if (!config.notebookRepoCommit) {
    throw new ProviderError(
      "bad_request",
      "PORTAL_NOTEBOOK_REPO_COMMIT is not set and the portal does not run from a git checkout: set it to the commit the room's image was built from.",
    );
  }
  const values: Record<string, string | undefined> = {
    EventId: config.eventId,
    AttendeeId: env.attendeeId,
    WorkerCount: String(workers),
    AllowedCidr: config.dashboardCidr,
    NotebookRepoUrl: config.notebookRepoUrl,
    NotebookRepoCommit: config.notebookRepoCommit,
    NotebookInstanceType: config.notebookInstanceType,
    NotebookSubnet: config.notebookSubnet,
    DaskImage: daskImage,
    WorkerCapacity: config.workerCapacity,
    EventStackName: config.mode === "event" ? config.eventStack : undefined,
    // Proxied dashboards: no public address, 8787 open to the portal host's group only, and
    // the dashboard served under the path the content origin forwards.
    ...(config.dashboardAccess.mode === "vpc"
      ? { DashboardAccess: "vpc", PortalSecurityGroupId: config.dashboardAccess.portalSecurityGroup, DashboardPrefix: proxiedBase(env.id, "dashboard") }
      : {}),
  };
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

/** The event stack's parameters and tags (the deploy role's boundary is added by the caller). */
export function eventStackRequest(config: AwsProviderConfig): { Parameters: Parameter[]; Tags: Tag[] } {
  return {
    Parameters: [
      { ParameterKey: "EventId", ParameterValue: config.eventId },
      { ParameterKey: "BudgetAlertEmail", ParameterValue: config.budgetAlertEmail ?? "" },
      { ParameterKey: "BudgetLimitUsd", ParameterValue: String(config.budgetUsd) },
    ],
    Tags: [
      { Key: eventTagKey, Value: config.eventId },
      { Key: attendeeTagKey, Value: "facilitator" },
    ],
  };
}

export function stackTags(config: AwsProviderConfig, env: EnvironmentRef): Tag[] {
  return [
    { Key: eventTagKey, Value: config.eventId },
    { Key: attendeeTagKey, Value: env.attendeeId },
    { Key: environmentTagKey, Value: env.id },
  ];
}

export function tagValue(stack: Stack, key: string): string | undefined {
  return stack.Tags?.find((t) => t.Key === key)?.Value;
}

/** Folds CloudFormation's full status list onto the portal's vocabulary. */
export function toStackStatus(status: string | undefined): StackStatus {
  switch (status) {
    case "CREATE_IN_PROGRESS":
    case "CREATE_COMPLETE":
    case "CREATE_FAILED":
    case "ROLLBACK_IN_PROGRESS":
    case "ROLLBACK_COMPLETE":
    case "ROLLBACK_FAILED":
    case "UPDATE_IN_PROGRESS":
    case "UPDATE_COMPLETE":
    case "DELETE_IN_PROGRESS":
    case "DELETE_COMPLETE":
    case "DELETE_FAILED":
      return status;
    case "REVIEW_IN_PROGRESS":
      return "CREATE_IN_PROGRESS";
    case "UPDATE_ROLLBACK_COMPLETE":
      return "UPDATE_COMPLETE";
    case "UPDATE_ROLLBACK_FAILED":
      return "ROLLBACK_FAILED";
    default:
      return status?.endsWith("_IN_PROGRESS") ? "UPDATE_IN_PROGRESS" : "UPDATE_COMPLETE";
  }
}

export function outputsOf(stack: Stack): Record<string, string> {
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""]));
}

/**
 * Events of the stack's current operation (create or delete), oldest first: `events`
 * arrive newest first, and the operation starts at the stack's own IN_PROGRESS event.
 */
export function currentOperation(events: StackEvent[], stackName: string): StackEvent[] {
  const operation: StackEvent[] = [];
  for (const event of events) {
    operation.push(event);
    const isStackItself = event.LogicalResourceId === stackName && event.ResourceType === "AWS::CloudFormation::Stack";
    if (isStackItself && (event.ResourceStatus === "CREATE_IN_PROGRESS" || event.ResourceStatus === "DELETE_IN_PROGRESS")) {
      break;
    }
  }
  return operation.reverse();
}

/** Resources whose latest event in the operation says they are done. */
export function resourcesDone(operation: StackEvent[], stackName: string): number {
  const latest = new Map<string, string>();
  for (const event of operation) {
    if (event.ResourceType === "AWS::CloudFormation::Stack" && event.LogicalResourceId === stackName) continue;
    latest.set(event.LogicalResourceId ?? "", event.ResourceStatus ?? "");
  }
  return [...latest.values()].filter((s) => s === "CREATE_COMPLETE" || s === "DELETE_COMPLETE" || s === "DELETE_SKIPPED")
    .length;
}

/**
 * The first resource that failed, in AWS's words (later ones usually only say "cancelled"); a
 * refusal of the deploy role is put in one sentence with its fix (AWS's own words stay in the
 * stack's events).
 */
export function failureReason(operation: StackEvent[], stack: Stack): string | undefined {
  const failed = operation.find(
    (e) =>
      e.ResourceStatus?.endsWith("_FAILED") &&
      !(e.ResourceType === "AWS::CloudFormation::Stack" && e.LogicalResourceId === stack.StackName) &&
      !/cancelled/i.test(e.ResourceStatusReason ?? ""),
  );
  if (failed) {
    const said = deployRoleRefusal(failed.ResourceStatusReason) ?? failed.ResourceStatusReason ?? failed.ResourceStatus;
    return `${failed.LogicalResourceId} (${failed.ResourceType}): ${said}`;
  }
  return stack.StackStatusReason ?? undefined;
}
