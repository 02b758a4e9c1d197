import type { StackStatus } from "@/lib/status";

// The facilitator's tools for the cloud account itself (the AWS provider's capability
// `cloud`): the room's headroom before the event, the linked roles and quotas it needs, and
// the event stack.

export type HeadroomStatus = "ok" | "warn" | "fail";

export type QuotaSource = "account" | "aws-default" | "assumed" | "unknown";

/** What each preflight line checks. */
export type PreflightKey =
  | "fargate-vcpu"
  | "fargate-spot-vcpu"
  | "notebook-instances"
  | "notebook-instance-type"
  | "vpcs"
  | "elastic-ips"
  | "codebuild-arm-concurrency"
  | "ecs-service-linked-role"
  | "service-quotas-service-linked-role"
  | "cost-allocation-tag"
  | "budget"
  | "access-stack"
  | "room-image"
  | "notebook-commit"
  | "era5-months"
  | "era5-region";

/** The services whose service-linked roles the room needs (created from the preflight page). */
export type LinkedRoleService = "ecs.amazonaws.com" | "servicequotas.amazonaws.com";

/** A fix the facilitator can run from the preflight line itself. */
export type PreflightFixAction =
  | { kind: "create-service-linked-role"; service: LinkedRoleService }
  | { kind: "request-quota-increase"; quotaCode: string; desired: number }
  | { kind: "activate-cost-allocation-tag" };

/** The newest quota increase request for a quota, in Service Quotas' words. */
export interface QuotaRequest {
  id: string;
  /** PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED or INVALID_REQUEST. */
  status: string;
  desired: number;
  createdAt?: string;
}

interface PreflightLineBase {
  key: PreflightKey;
  label: string;
  /** ok (green), warn (amber: close to a limit, or could not be checked), fail (red: the room would break). */
  status: HeadroomStatus;
  /** What was found. */
  sentence: string;
  /** Unless ok: one sentence saying how to fix it. */
  fix?: string;
  action?: PreflightFixAction;
  /** "before": days ahead of the event (quotas, roles, billing); "day": on the day itself. */
  stage: "before" | "day";
  /** How many days before the event this must be done, at the latest (docs/aws.md, "Before the event"). */
  daysAhead?: number;
}

/** A quota, what is in use, and what the room needs. */
export interface PreflightQuotaLine extends PreflightLineBase {
  kind: "quota";
  unit: string;
  /** The account's quota, or null when it could not be read and the platform documents no fixed default. */
  quota: number | null;
  quotaSource: QuotaSource;
  /** What is in use now (null: could not be read). */
  inUse: number | null;
  /** What the whole room needs at its default size. */
  needed: number;
  /** In use now plus what the room has yet to start. */
  projected: number;
  /** The newest increase request for this quota, if any was made. */
  request?: QuotaRequest;
}

/** Something the room needs that either is there or is not (a role, a stack, an image, data). */
export interface PreflightCheckLine extends PreflightLineBase {
  kind: "check";
}

/** One line of the facilitator's preflight. */
export type PreflightLine = PreflightQuotaLine | PreflightCheckLine;

export interface PreflightResult {
  mode: "solo" | "event";
  region: string;
  attendees: number;
  /** vCPU one environment takes at its default size: the scheduler plus the default workers. */
  environmentVcpu: { scheduler: number; worker: number; workers: number; total: number };
  /** Where the workers run (the scheduler always runs On-Demand). */
  workerCapacity: "FARGATE" | "FARGATE_SPOT";
  lines: PreflightLine[];
  checkedAt: string;
}

/** The stack the whole room shares (event mode), as the facilitator's page shows it. */
export interface EventStackView {
  mode: "solo" | "event";
  /** The configured event stack; null in solo mode, which has none. */
  stackName: string | null;
  status: StackStatus | "NOT_DEPLOYED";
  /** Why it failed or is being deleted, from the latest stack events, in the platform's words. */
  reason?: string;
  /** The outputs attendee stacks import (VpcId, ClusterName, LogGroup, …), once created. */
  outputs: Record<string, string>;
  updatedAt?: string;
  /** A deploy the portal refused before asking CloudFormation, with the fix (and the button that applies it). */
  refused?: { sentence: string; fix: string; action?: PreflightFixAction };
}

/** The facilitator's tools for the cloud account itself (the AWS provider). */
export interface CloudTools {
  /** The account's headroom for a room of `attendees`: quotas against what is in use and needed. */
  preflight(attendees: number): Promise<PreflightResult>;
  /** Creates a service-linked role the room needs (ECS's, Service Quotas') unless it exists. */
  createServiceLinkedRole(service: LinkedRoleService): Promise<{ roleName: string; created: boolean }>;
  /** Asks Service Quotas to raise one of the room's quotas to `desired`; AWS's refusal comes back in its own words. */
  requestQuotaIncrease(quotaCode: string, desired: number): Promise<QuotaRequest>;
  /** Activates the workshop:event cost allocation tag, so Cost Explorer and the budget can filter by event. */
  activateCostAllocationTag(): Promise<{ tagKey: string; status: string }>;
  eventStack(): Promise<EventStackView>;
  /** Starts creating the event stack unless it exists; the same `requestId` never creates twice. */
  deployEventStack(requestId: string): Promise<EventStackView>;
  /** Starts deleting the event stack; refused while attendee stacks still use it. */
  deleteEventStack(): Promise<EventStackView>;
}
