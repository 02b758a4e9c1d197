import "server-only";
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from "@aws-sdk/client-ec2";
import { isIP } from "node:net";
import {
  ProviderError,
  type DashboardAccess,
  type DashboardAdmission,
  type DashboardViewer,
  type EnvironmentRef,
  type ProxiedKind,
  type ProxyTarget,
} from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { describeEnvironment } from "./snapshot";
import { outputsOf, validateStackName } from "./stack";

// How a browser reaches an environment's Dask dashboard (port 8787), as PORTAL_DASHBOARD_ACCESS says:
// - vpc: the portal runs in the event's VPC, and its content origin proxies the dashboard to the
//   scheduler's private address (the scheduler's group admits 8787 from the portal host's group
//   only, and the scheduler has no public address);
// - address: the browser goes to the scheduler's public address. Rather than open that port to
//   a wide range, the portal adds the address it sees for the viewer, as a /32, to the
//   environment's own scheduler security group when they open the dashboard through the portal,
//   and removes every such rule before the stack is deleted. The rules are found again by their
//   description, so nothing about them is stored.

export const dashboardPort = 8787;
/** At most this many viewer addresses per environment; the oldest goes first (a group holds 60 inbound IPv4 rules by default). */
export const maxDashboardAddresses = 5;
/** Every rule the portal adds starts with this; rules from the template never do. */
const descriptionPrefix = "portal dashboard";

/** Characters EC2 accepts in a rule description (docs/aws.md); anything else becomes "_". */
function describable(text: string): string {
  return text.replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, "_");
}

interface PortalRule {
  cidr: string;
  description: string;
  /** When the rule was added (from its description), for "oldest first". */
  at: number;
}

function describeRule(viewer: DashboardViewer, now: Date): string {
  return `${descriptionPrefix} ${now.toISOString()} ${describable(viewer.who)}`.slice(0, 255);
}

function ruleTime(description: string): number {
  const stamp = description.slice(descriptionPrefix.length + 1).split(" ")[0];
  const at = Date.parse(stamp);
  return Number.isNaN(at) ? 0 : at;
}

function permission(cidr: string, description?: string): IpPermission {
  return { IpProtocol: "tcp", FromPort: dashboardPort, ToPort: dashboardPort, IpRanges: [{ CidrIp: cidr, ...(description ? { Description: description } : {}) }] };
}

/** The environment's scheduler security group, from its stack's outputs; undefined for stacks without that output (solo). */
async function schedulerGroup(ctx: AwsContext, env: EnvironmentRef): Promise<string | undefined> {
  const stack = await ctx.findStack(env);
  return stack ? outputsOf(stack).SchedulerSecurityGroupId || undefined : undefined;
}

/** The rules on port 8787 the portal added to the group, oldest first. */
async function portalRules(ctx: AwsContext, groupId: string): Promise<PortalRule[]> {
  const { SecurityGroups } = await ctx.limiter.run("ec2-read", () =>
    ctx.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })),
  );
  const rules: PortalRule[] = [];
  for (const p of SecurityGroups?.[0]?.IpPermissions ?? []) {
    if (p.IpProtocol !== "tcp" || p.FromPort !== dashboardPort || p.ToPort !== dashboardPort) continue;
    for (const range of p.IpRanges ?? []) {
      if (range.CidrIp && range.Description?.startsWith(`${descriptionPrefix} `)) {
        rules.push({ cidr: range.CidrIp, description: range.Description, at: ruleTime(range.Description) });
      }
    }
  }
  return rules.sort((a, b) => a.at - b.at);
}

async function revoke(ctx: AwsContext, groupId: string, cidr: string): Promise<void> {
  try {
    await ctx.limiter.run("ec2-write", () =>
      ctx.clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission(cidr)] })),
    );
  } catch (error) {
    // Already gone (another tab, or a teardown that raced this): what was asked for holds.
    if (errorName(error) !== "InvalidPermission.NotFound") throw error;
  }
}

/** A refusal that names the action and the group, as the access stack's policy would need to grant it. */
function refusal(error: unknown, action: string, groupId: string, doing: string): ProviderError {
  const name = errorName(error);
  if (name === "UnauthorizedOperation" || name === "AccessDenied" || name === "AccessDeniedException") {
    return new ProviderError("credentials", `the portal's role cannot ${action} on ${groupId}: update portal-access`);
  }
  return toProviderError(error, doing);
}

/**
 * Lets the viewer's address reach the environment's dashboard and returns where it is.
 * Adding an address that is already there is not an error; past maxDashboardAddresses the
 * oldest are revoked first.
 */
export async function admitDashboard(ctx: AwsContext, env: EnvironmentRef, viewer: DashboardViewer): Promise<DashboardAdmission> {
  validateStackName(env.stackName);
  const snapshot = await describeEnvironment(ctx, env);
  const url = snapshot.links.dashboard;
  if (!url) throw new ProviderError("not_found", "The dashboard opens once the scheduler task is RUNNING; wait for it, then open it again.");

  let groupId: string | undefined;
  try {
    groupId = await schedulerGroup(ctx, env);
  } catch (error) {
    throw toProviderError(error, "finding the scheduler's security group");
  }
  // Stacks without the output (solo mode) admit who their AllowedCidr names, as deployed.
  if (!groupId) return { url, added: false, revoked: 0 };

  const family = isIP(viewer.address);
  if (family !== 4) {
    throw new ProviderError(
      "bad_request",
      family === 6
        ? `The portal sees you at ${viewer.address} (IPv6), but the dashboard answers on IPv4 only, so it cannot let you in. Open the portal over IPv4, or ask the facilitator.`
        : "The portal cannot tell your address, so it cannot let you into the dashboard. Ask the facilitator (behind a reverse proxy, set PORTAL_TRUSTED_PROXIES).",
    );
  }
  const cidr = `${viewer.address}/32`;

  let rules: PortalRule[];
  try {
    rules = await portalRules(ctx, groupId);
  } catch (error) {
    throw refusal(error, "ec2:DescribeSecurityGroups", groupId, "reading the scheduler's security group");
  }
  if (rules.some((r) => r.cidr === cidr)) return { url, added: false, revoked: 0, cidr, groupId };

  const surplus = rules.slice(0, Math.max(0, rules.length - maxDashboardAddresses + 1));
  try {
    for (const old of surplus) await revoke(ctx, groupId, old.cidr);
  } catch (error) {
    throw refusal(error, "ec2:RevokeSecurityGroupIngress", groupId, "removing an older dashboard address");
  }
  try {
    await ctx.limiter.run("ec2-write", () =>
      ctx.clients.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission(cidr, describeRule(viewer, new Date()))] }),
      ),
    );
  } catch (error) {
    // Two tabs at once: the other one added it, which is what was asked for.
    if (errorName(error) !== "InvalidPermission.Duplicate") {
      throw refusal(error, "ec2:AuthorizeSecurityGroupIngress", groupId, "letting your address reach the dashboard");
    }
    return { url, added: false, revoked: surplus.length, cidr, groupId };
  }
  return { url, added: true, revoked: surplus.length, cidr, groupId };
}

/**
 * Removes every address the portal added to the environment's scheduler group; returns how
 * many. Called before DeleteStack so nothing the portal added outlives the environment.
 */
export async function revokeDashboardAddresses(ctx: AwsContext, env: EnvironmentRef): Promise<number> {
  const groupId = await schedulerGroup(ctx, env);
  if (!groupId) return 0;
  let rules: PortalRule[];
  try {
    rules = await portalRules(ctx, groupId);
  } catch (error) {
    // The group is already gone (a stack deleted before): there is nothing left to remove.
    if (errorName(error) === "InvalidGroup.NotFound") return 0;
    throw error;
  }
  for (const rule of rules) await revoke(ctx, groupId, rule.cidr);
  return rules.length;
}

/**
 * The scheduler's dashboard at its private address, as the environment's last describe saw it
 * running; nothing else is proxied (the notebook is SageMaker's, opened with a presigned URL).
 */
function privateDashboard(ctx: AwsContext, env: EnvironmentRef, kind: ProxiedKind): ProxyTarget | undefined {
  if (kind !== "dashboard") return undefined;
  const host = ctx.entry(env).privateDashboard;
  return host && isIP(host) === 4 ? { via: "network", host, port: dashboardPort, headers: {} } : undefined;
}

/** The provider's one way to its dashboards, from PORTAL_DASHBOARD_ACCESS. */
export function dashboardAccess(ctx: AwsContext): DashboardAccess {
  if (ctx.config.dashboardAccess.mode === "vpc") return { mode: "proxied", target: (env, kind) => privateDashboard(ctx, env, kind) };
  return { mode: "admit-address", admit: (env, viewer) => admitDashboard(ctx, env, viewer) };
}
