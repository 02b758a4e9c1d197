import "server-only";
import { CreateServiceLinkedRoleCommand } from "@aws-sdk/client-iam";
import type { LinkedRoleService, PreflightCheckLine } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { accountReads, check, roleExists, why } from "./preflight-checks";

// The service-linked roles the room needs, each made once per account (CreateServiceLinkedRole),
// by the names IAM gives them:
//   ECS: the event's cluster with capacity providers fails without it ("Unable to assume the
//     service linked role", cloudformation-coverage-roadmap#818), and ECS makes it only
//     sometimes by itself.
//     https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html
//   Service Quotas: it opens the AWS Support case of an increase that is not approved at once.
//     https://docs.aws.amazon.com/servicequotas/latest/userguide/using-service-linked-roles.html

interface LinkedRole {
  roleName: string;
  key: PreflightCheckLine["key"];
  label: string;
  /** What breaks without it. */
  without: string;
  /** What works with it. */
  with: string;
}

export const linkedRoles: Record<LinkedRoleService, LinkedRole> = {
  "ecs.amazonaws.com": {
    roleName: "AWSServiceRoleForECS",
    key: "ecs-service-linked-role",
    label: "ECS service-linked role",
    without: "the event stack's ECS cluster (with capacity providers) fails to create",
    with: "ECS can create the room's cluster",
  },
  "servicequotas.amazonaws.com": {
    roleName: "AWSServiceRoleForServiceQuotas",
    key: "service-quotas-service-linked-role",
    label: "Service Quotas service-linked role",
    without: "a quota increase AWS does not approve at once cannot become an AWS Support case",
    with: "quota increases can go to AWS Support when they need to",
  },
};

const command = (service: LinkedRoleService) => `aws iam create-service-linked-role --aws-service-name ${service}`;

/**
 * Whether the role is known to be missing: a read IAM refuses is not "missing", so the caller
 * goes on and CloudFormation's own answer shows.
 */
export async function linkedRoleMissing(ctx: AwsContext, service: LinkedRoleService): Promise<boolean> {
  try {
    return !(await roleExists(ctx, linkedRoles[service].roleName));
  } catch {
    return false;
  }
}

export async function checkLinkedRole(ctx: AwsContext, service: LinkedRoleService): Promise<PreflightCheckLine> {
  const { roleName, key, label } = linkedRoles[service];
  const before = (found: Parameters<typeof check>[2]) => check(key, label, { ...found, daysAhead: 1 }, "before");
  try {
    if (await roleExists(ctx, roleName)) return before({ status: "ok", sentence: `${roleName} exists, so ${linkedRoles[service].with}.` });
    return before({
      status: "fail",
      sentence: `${roleName} does not exist in this account, so ${linkedRoles[service].without}.`,
      fix: `Create it with the button here or with \`${command(service)}\`.`,
      action: { kind: "create-service-linked-role", service },
    });
  } catch (error) {
    return before({
      status: "warn",
      sentence: `Whether ${roleName} exists could not be read: ${why(error, `reading ${roleName}`)}`,
      fix: `Check for ${roleName} in the IAM console, or allow the portal iam:GetRole on it; if it is missing, run \`${command(service)}\`.`,
    });
  }
}

/** CreateServiceLinkedRole; a role that already exists is not an error. */
export async function createLinkedRole(ctx: AwsContext, service: LinkedRoleService): Promise<{ roleName: string; created: boolean }> {
  const { roleName } = linkedRoles[service];
  try {
    if (await roleExists(ctx, roleName)) return { roleName, created: false };
    await ctx.limiter.run(accountReads, () => ctx.clients.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: service })));
    return { roleName, created: true };
  } catch (error) {
    // Created meanwhile (another tab, the service itself): IAM answers InvalidInput "has been taken".
    if (errorName(error) === "InvalidInputException" && /taken/i.test(String((error as Error).message))) return { roleName, created: false };
    throw toProviderError(error, `creating ${roleName}`);
  }
}
