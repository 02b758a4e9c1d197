import "server-only";
import { DescribeBudgetCommand } from "@aws-sdk/client-budgets";
import { ListCostAllocationTagsCommand, UpdateCostAllocationTagsStatusCommand } from "@aws-sdk/client-cost-explorer";
import { ListRequestedServiceQuotaChangeHistoryByQuotaCommand, RequestServiceQuotaIncreaseCommand } from "@aws-sdk/client-service-quotas";
import { ProviderError, type PreflightCheckLine, type QuotaRequest } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { accountReads, check, why } from "./preflight-checks";
import { eventTagKey, outputsOf } from "./stack";
import { describeStack } from "./stack-reads";

// What must be done days before the room, not on the morning (docs/aws.md, "Before the
// event"): quota increases AWS may take days to grant, the cost allocation tag Billing needs
// a day or two for, and the event's budget. Each step says how many days ahead it needs.

/** Days ahead of the event each step needs at the latest (sources in docs/aws.md). */
export const daysAhead = {
  /** AWS approves some increases at once and sends others to Support, which promises no time: a week's margin. */
  quota: 7,
  /** Up to 24 h for a new tag key to appear in Billing, then up to 24 h for activation to take effect. */
  costTag: 2,
  /** Budgets refresh their figures up to three times a day: deploy the event stack the day before. */
  budget: 1,
} as const;

// ---- quota increase requests

/** The newest increase request made for a quota, or undefined when there is none (or it cannot be read). */
export async function latestQuotaRequest(ctx: AwsContext, serviceCode: string, quotaCode: string): Promise<QuotaRequest | undefined> {
  try {
    const { RequestedQuotas } = await ctx.limiter.run(accountReads, () =>
      ctx.clients.quotas.send(new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode })),
    );
    const newest = [...(RequestedQuotas ?? [])].sort((a, b) => (b.Created?.getTime() ?? 0) - (a.Created?.getTime() ?? 0))[0];
    if (!newest?.Id) return undefined;
    return {
      id: newest.Id,
      status: newest.Status ?? "PENDING",
      desired: newest.DesiredValue ?? 0,
      ...(newest.Created ? { createdAt: newest.Created.toISOString() } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Requests that are still open: a second request for the same quota would be refused. */
export const openRequestStatuses = new Set(["PENDING", "CASE_OPENED"]);

/**
 * RequestServiceQuotaIncrease for one of the room's quotas (`serviceOf` says which service a
 * code belongs to; any other code is refused before AWS is asked).
 */
export async function requestQuotaIncrease(
  ctx: AwsContext,
  serviceOf: (quotaCode: string) => Promise<string | undefined>,
  quotaCode: string,
  desired: number,
): Promise<QuotaRequest> {
  if (!Number.isInteger(desired) || desired < 1 || desired > 100_000) {
    throw new ProviderError("bad_request", "Ask for a whole number from 1 to 100000.");
  }
  const serviceCode = await serviceOf(quotaCode);
  if (!serviceCode) throw new ProviderError("bad_request", `${quotaCode} is not one of the quotas the room needs; the portal asks only for those.`);
  try {
    const { RequestedQuota } = await ctx.limiter.run(accountReads, () =>
      ctx.clients.quotas.send(new RequestServiceQuotaIncreaseCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode, DesiredValue: desired })),
    );
    return {
      id: RequestedQuota?.Id ?? "",
      status: RequestedQuota?.Status ?? "PENDING",
      desired: RequestedQuota?.DesiredValue ?? desired,
      ...(RequestedQuota?.Created ? { createdAt: RequestedQuota.Created.toISOString() } : {}),
    };
  } catch (error) {
    // Service Quotas says why in its own words (a request already open, too many requests, a value
    // above the quota's maximum): that sentence is what the facilitator needs.
    const name = errorName(error);
    if (name === "ResourceAlreadyExistsException" || name === "IllegalArgumentException" || name === "QuotaExceededException" || name === "InvalidResourceStateException") {
      throw new ProviderError("bad_request", `Service Quotas refused the request: ${(error as Error).message}`);
    }
    throw toProviderError(error, `requesting an increase of ${serviceCode} ${quotaCode}`);
  }
}

// ---- the cost allocation tag

const tagLabel = "Cost allocation tag workshop:event";

/**
 * Billing filters costs by a user tag only once the tag is activated, and only from then on: a
 * room whose tag is activated after the event has no per-event costs in Cost Explorer or the
 * budget. The Cost Explorer API lives in us-east-1 and answers only the management account of
 * an organization.
 * https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html
 */
export async function checkCostAllocationTag(ctx: AwsContext): Promise<PreflightCheckLine> {
  const before = (found: Parameters<typeof check>[2]) => check("cost-allocation-tag", tagLabel, { ...found, daysAhead: daysAhead.costTag }, "before");
  try {
    const { CostAllocationTags } = await ctx.limiter.run(accountReads, () =>
      ctx.clients.ce.send(new ListCostAllocationTagsCommand({ TagKeys: [eventTagKey], Type: "UserDefined" })),
    );
    const tag = CostAllocationTags?.find((t) => t.TagKey === eventTagKey);
    if (tag?.Status === "Active") {
      return before({ status: "ok", sentence: `${eventTagKey} is active: Cost Explorer and the event's budget can filter by event (${ctx.config.eventId}).` });
    }
    if (tag) {
      return before({
        status: "fail",
        sentence: `${eventTagKey} is known to Billing but not active, so the event's costs cannot be told apart from the account's.`,
        fix: `Activate it with the button here at least ${daysAhead.costTag} days before the event (activation takes up to 24 hours).`,
        action: { kind: "activate-cost-allocation-tag" },
      });
    }
    return before({
      status: "warn",
      sentence: `Billing has not seen ${eventTagKey} yet: a tag key shows up there up to 24 hours after a resource first carries it.`,
      fix: `Deploy the access stack (its role carries the tag) at least ${daysAhead.costTag} days before the event, then activate the tag here.`,
    });
  } catch (error) {
    return before({
      status: "warn",
      sentence: `Whether ${eventTagKey} is active could not be read: ${why(error, "reading the cost allocation tags")}`,
      fix: "In an AWS Organization only the management account activates cost allocation tags: ask its administrator to activate workshop:event in Billing.",
    });
  }
}

export async function activateCostAllocationTag(ctx: AwsContext): Promise<{ tagKey: string; status: string }> {
  try {
    const { Errors } = await ctx.limiter.run(accountReads, () =>
      ctx.clients.ce.send(new UpdateCostAllocationTagsStatusCommand({ CostAllocationTagsStatus: [{ TagKey: eventTagKey, Status: "Active" }] })),
    );
    const refused = Errors?.find((e) => e.TagKey === eventTagKey);
    if (refused) throw new ProviderError("bad_request", `Billing refused to activate ${eventTagKey}: ${refused.Message ?? refused.Code ?? "no reason given"}`);
    return { tagKey: eventTagKey, status: "Active" };
  } catch (error) {
    throw toProviderError(error, `activating the cost allocation tag ${eventTagKey}`);
  }
}

// ---- the event's budget

/** The event stack's budget (event.yaml's Budget), with an alert when costs pass 80% of it or are forecast to pass it. */
export async function checkBudget(ctx: AwsContext): Promise<PreflightCheckLine> {
  const label = "The event's budget and its alert";
  const before = (found: Parameters<typeof check>[2]) => check("budget", label, { ...found, daysAhead: daysAhead.budget }, "before");
  const { eventStack, budgetAlertEmail } = ctx.config;
  if (!budgetAlertEmail) {
    return before({
      status: "fail",
      sentence: "No alert address is set, so the event stack makes no budget and nobody hears of a room that costs more than planned.",
      fix: "Set PORTAL_BUDGET_EMAIL (and PORTAL_BUDGET_USD), then deploy the event stack, at least a day before the event.",
    });
  }
  try {
    const stack = eventStack ? await describeStack(ctx.clients.cfn, ctx.limiter, eventStack) : undefined;
    const name = stack ? outputsOf(stack).BudgetName : undefined;
    const account = stack?.StackId?.split(":")[4];
    if (!stack || !name || !account) {
      return before({
        status: "warn",
        sentence: `The event stack ${eventStack ?? ""} ${stack ? "has no budget yet (it was deployed without PORTAL_BUDGET_EMAIL)" : "is not deployed yet"}.`,
        fix: `Deploy the event stack at least ${daysAhead.budget} day before the event: its budget comes with it and alerts ${budgetAlertEmail}.`,
      });
    }
    const { Budget } = await ctx.limiter.run(accountReads, () => ctx.clients.budgets.send(new DescribeBudgetCommand({ AccountId: account, BudgetName: name })));
    const limit = Budget?.BudgetLimit ? `${Budget.BudgetLimit.Amount} ${Budget.BudgetLimit.Unit}` : "no limit";
    return before({ status: "ok", sentence: `Budget ${name} (${limit} a month for this event's tagged costs) alerts ${budgetAlertEmail} at 80% and when forecast to pass it.` });
  } catch (error) {
    return before({
      status: "warn",
      sentence: `The event's budget could not be read: ${why(error, "reading the event's budget")}`,
      fix: "Check the budget in the AWS Budgets console; the portal needs budgets:ViewBudget on it.",
    });
  }
}
