// The "before the event" part of preflight on moto: quota increases requested from the page
// and their status on later loads, the cost allocation tag, and the event's budget. moto 5.2
// lacks Service Quotas' requests and Cost Explorer's tags, so test/moto/account-shim.mjs plays
// those calls on loopback (and the Fargate, SageMaker and CodeBuild quotas moto does not serve);
// the budget is made with moto's own Budgets API, as the event stack's Budget would be.
import { BudgetsClient, CreateBudgetCommand } from "@aws-sdk/client-budgets";
import { eagerCadence } from "@/test/support/moto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccountShim } from "../../../test/moto/account-shim.mjs";
import { holdTaskStates, motoCredentials, motoRegion, startMoto } from "../../../test/moto/index.mjs";
import type { PreflightLine, PreflightQuotaLine, PreflightResult } from "@/lib/providers/contract";
import { loadAwsConfig } from "./config";
import { createAwsProvider } from "./provider";

let moto: Awaited<ReturnType<typeof startMoto>>;
let shim: Awaited<ReturnType<typeof startAccountShim>>;

const eventStack = "dask-before-event";

function tools(env: Record<string, string | undefined> = {}) {
  return createAwsProvider(
    loadAwsConfig(
      {
        AWS_REGION: motoRegion,
        AWS_ENDPOINT_URL: shim.endpoint,
        PORTAL_AWS_MODE: "event",
        PORTAL_EVENT_STACK: eventStack,
        PORTAL_EVENT_ID: "before-it",
        PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
        PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
        PORTAL_BUDGET_EMAIL: "facilitator@example.org",
        PORTAL_BUDGET_USD: "250",
        ...env,
      },
      { cadence: eagerCadence, credentials: motoCredentials },
    ),
  ).cloud!;
}

const lineOf = (result: PreflightResult, key: PreflightLine["key"]) => {
  const line = result.lines.find((l) => l.key === key);
  if (!line) throw new Error(`no ${key} line`);
  return line;
};
const quotaOf = (result: PreflightResult, key: PreflightLine["key"]) => lineOf(result, key) as PreflightQuotaLine;

beforeAll(async () => {
  moto = await startMoto();
  await holdTaskStates(moto.endpoint);
  shim = await startAccountShim({ target: moto.endpoint });
}, 60_000);

afterAll(async () => {
  await shim?.close();
  await moto?.stop();
});

describe("quota increases before the event", () => {
  it("offers the increase the room needs, records the request, and shows it pending on the next load", async () => {
    shim.setQuota("fargate", "L-3032A538", 4, "Fargate On-Demand vCPU resource count");
    const first = quotaOf(await tools().preflight(10), "fargate-vcpu");
    expect(first).toMatchObject({ status: "fail", quota: 4, stage: "before", daysAhead: 7 });
    // Enough that the room's 10 vCPU stay under 80% of the quota.
    expect(first.action).toEqual({ kind: "request-quota-increase", quotaCode: "L-3032A538", desired: 13 });

    const request = await tools().requestQuotaIncrease("L-3032A538", 13);
    expect(request).toMatchObject({ status: "PENDING", desired: 13 });
    expect(shim.requests()).toEqual([expect.objectContaining({ ServiceCode: "fargate", QuotaCode: "L-3032A538", DesiredValue: 13 })]);

    // A later load shows the open request, and offers no second one for the same need.
    const later = quotaOf(await tools().preflight(10), "fargate-vcpu");
    expect(later.request).toMatchObject({ id: request.id, status: "PENDING", desired: 13 });
    expect(later.action).toBeUndefined();

    // Asking again while it is open: Service Quotas' own refusal, in its words.
    await expect(tools().requestQuotaIncrease("L-3032A538", 12)).rejects.toThrow(
      "Service Quotas refused the request: A quota increase request for this quota is already open.",
    );

    shim.settle(request.id, "APPROVED");
    const approved = quotaOf(await tools().preflight(10), "fargate-vcpu");
    expect(approved).toMatchObject({ status: "ok", quota: 13, request: { status: "APPROVED" } });
  });

  it("shows AWS's reason when it refuses a request, and never asks for a quota the room does not use", async () => {
    shim.setQuota("codebuild", "L-596BEAB4", 0, "Concurrently running builds for ARM/Large environment");
    const line = quotaOf(await tools().preflight(3), "codebuild-arm-concurrency");
    expect(line).toMatchObject({ status: "fail", quota: 0, action: { kind: "request-quota-increase", quotaCode: "L-596BEAB4", desired: 2 } });

    shim.refuseNext("QuotaExceededException", "You have exceeded the number of quota increase requests you can make in a period.");
    await expect(tools().requestQuotaIncrease("L-596BEAB4", 1)).rejects.toThrow(
      "Service Quotas refused the request: You have exceeded the number of quota increase requests you can make in a period.",
    );
    const before = shim.requests().length;
    await expect(tools().requestQuotaIncrease("L-00000000", 5)).rejects.toThrow("L-00000000 is not one of the quotas the room needs");
    await expect(tools().requestQuotaIncrease("L-596BEAB4", 0)).rejects.toThrow("Ask for a whole number from 1 to 100000.");
    expect(shim.requests()).toHaveLength(before);
  });
});

describe("the cost allocation tag", () => {
  it("is amber until Billing has seen it, red while inactive with the button, and green once activated", async () => {
    const unseen = lineOf(await tools().preflight(1), "cost-allocation-tag");
    expect(unseen).toMatchObject({ status: "warn", stage: "before", daysAhead: 2 });
    expect(unseen.sentence).toContain("Billing has not seen workshop:event yet");
    await expect(tools().activateCostAllocationTag()).rejects.toThrow(/Billing refused to activate workshop:event: .*not found/);

    shim.setTag("workshop:event", "Inactive");
    const inactive = lineOf(await tools().preflight(1), "cost-allocation-tag");
    expect(inactive).toMatchObject({ status: "fail", action: { kind: "activate-cost-allocation-tag" } });

    expect(await tools().activateCostAllocationTag()).toEqual({ tagKey: "workshop:event", status: "Active" });
    expect(shim.tagStatus("workshop:event")).toBe("Active");
    expect(lineOf(await tools().preflight(1), "cost-allocation-tag")).toMatchObject({ status: "ok" });
  });
});

describe("the event's budget", () => {
  it("is red without an alert address, amber until the event stack brings it, green once it exists", async () => {
    const noEmail = lineOf(await tools({ PORTAL_BUDGET_EMAIL: undefined }).preflight(1), "budget");
    expect(noEmail).toMatchObject({ status: "fail", stage: "before", daysAhead: 1 });
    expect(noEmail.fix).toContain("Set PORTAL_BUDGET_EMAIL");

    const notYet = lineOf(await tools().preflight(1), "budget");
    expect(notYet).toMatchObject({ status: "warn" });
    expect(notYet.sentence).toContain("is not deployed yet");

    await tools().createServiceLinkedRole("ecs.amazonaws.com");
    await tools().deployEventStack("before-request-1");
    // The event stack's Budget, made as CloudFormation would (moto's CloudFormation lacks the type).
    const budgets = new BudgetsClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: motoCredentials });
    await budgets.send(
      new CreateBudgetCommand({
        AccountId: "123456789012",
        Budget: { BudgetName: eventStack, BudgetType: "COST", TimeUnit: "MONTHLY", BudgetLimit: { Amount: "250", Unit: "USD" } },
      }),
    );
    const there = lineOf(await tools().preflight(1), "budget");
    expect(there).toMatchObject({ status: "ok" });
    expect(there.sentence).toContain(`Budget ${eventStack} (250 USD a month`);
    expect(there.sentence).toContain("facilitator@example.org");
  });
});
