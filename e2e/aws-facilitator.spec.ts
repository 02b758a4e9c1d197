// The facilitator page with PORTAL_PROVIDER=aws against moto server on loopback, in event
// mode: the preflight's "before the event" rows (test/moto/account-shim.mjs plays the quotas,
// quota requests and cost allocation tags moto lacks), deploying the event stack from the page
// (the portal is given a stack name the harness did not deploy), and the refusal to delete it
// while an attendee's stack still imports it. Moto is a control-plane emulator; the harness
// (test/moto/cli.mjs --play-every) plays Fargate.
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, uniqueEmail } from "./support/fixtures";
import { startAccountShim } from "../test/moto/account-shim.mjs";
import { testOnMoto } from "./support/moto";

const EVENT_STACK = "room-e2e";

let account: Awaited<ReturnType<typeof startAccountShim>> | undefined;
const test = testOnMoto("aws-fac", { PORTAL_EVENT_STACK: EVENT_STACK, PORTAL_BUDGET_EMAIL: "facilitator@example.org" }, async (moto) => {
  account = await startAccountShim({ target: moto.endpoint });
  // A new account: a Fargate On-Demand quota far below the room, Spot not readable, and the
  // event's cost allocation tag seen by Billing but not active.
  account.setQuota("fargate", "L-3032A538", 6, "Fargate On-Demand vCPU resource count");
  account.setTag("workshop:event", "Inactive");
  return account.endpoint;
});
test.afterAll(() => account?.close());

test("the facilitator sees the account's headroom, deploys the event stack, and cannot delete it under a live room", async ({ page, browser, portal }) => {
  await new SignInPage(page).asFacilitator();
  await expect(page).toHaveURL(/\/facilitator/);

  // Preflight: event mode has no VPC or Elastic IP lines (the event stack holds the one network).
  // Before the event: quotas, service-linked roles, the cost tag and the budget, each with how
  // many days ahead it needs; the day itself: the access stack, the image, the commit, ERA5.
  const row = (key: string) => page.locator(`[data-testid="preflight-row"][data-key="${key}"]`);
  const fargate = row("fargate-vcpu");
  const spot = row("fargate-spot-vcpu");
  const before = page.getByTestId("preflight-before");
  await expect(fargate).toBeVisible();
  await expect(before.getByTestId("preflight-row")).toHaveCount(9);
  await expect(page.getByTestId("preflight-day").getByTestId("preflight-row")).toHaveCount(5);
  await expect(row("vpcs")).toHaveCount(0);
  await expect(fargate.getByTestId("preflight-days-ahead")).toHaveText("7 days");
  await expect(row("cost-allocation-tag").getByTestId("preflight-days-ahead")).toHaveText("2 days");
  // Every red row says how to fix it.
  for (const red of await before.locator('[data-testid="preflight-row"][data-status="fail"]').all()) {
    await expect(red.getByTestId("preflight-fix")).not.toBeEmpty();
  }

  // The On-Demand quota is red: its button asks Service Quotas for enough (a fifth free for a
  // room of 150), and the request shows as pending, on this load and the next.
  await expect(fargate).toHaveAttribute("data-status", "fail");
  await expect(fargate.getByTestId("preflight-fix")).toContainText('"Fargate On-Demand vCPU resource count" (L-3032A538) to at least 188');
  await fargate.getByTestId("preflight-fix-action").click();
  await expect(fargate.getByTestId("preflight-request")).toHaveAttribute("data-request-status", "PENDING");
  await expect(fargate.getByTestId("preflight-request")).toContainText("Increase to 188 requested");
  await expect(fargate.getByTestId("preflight-fix-action")).toHaveCount(0);
  expect(account!.requests()).toEqual([expect.objectContaining({ QuotaCode: "L-3032A538", DesiredValue: 188, Status: "PENDING" })]);
  await page.reload();
  await expect(fargate.getByTestId("preflight-request")).toHaveAttribute("data-request-status", "PENDING");
  // Spot's quota could not be read on moto: amber, saying where to look it up.
  await expect(spot).toHaveAttribute("data-status", "warn");
  await expect(spot.getByTestId("preflight-fix")).toContainText('Look up "Fargate Spot vCPU resource count" (L-36FBB829)');

  // The cost allocation tag: red while inactive, green once its button activates it.
  const tag = row("cost-allocation-tag");
  await expect(tag).toHaveAttribute("data-status", "fail");
  await tag.getByTestId("preflight-fix-action").click();
  await expect(tag).toHaveAttribute("data-status", "ok");

  // The ECS service-linked role is missing in a fresh moto account: the row is red, and so is
  // a deploy of the event stack, which says why and offers the same button beside the refusal.
  const role = row("ecs-service-linked-role");
  await expect(role).toHaveAttribute("data-status", "fail");
  await expect(role.getByTestId("preflight-fix")).toContainText("aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com");
  await page.getByTestId("event-stack-deploy").click();
  await page.getByTestId("event-stack-deploy-confirm").click();
  const refused = page.getByTestId("event-stack-refused");
  await expect(refused).toContainText("AWSServiceRoleForECS does not exist in this account yet");
  await expect(page.getByTestId("event-stack-status")).toHaveText("not deployed");
  await refused.getByTestId("event-stack-fix-action").click();
  await expect(refused).toHaveCount(0);
  await page.getByTestId("preflight-run").click();
  await expect(role).toHaveAttribute("data-status", "ok");

  // The event stack: not there yet; the facilitator deploys it from the page.
  const card = page.getByTestId("event-stack");
  await expect(page.getByTestId("event-stack-status")).toHaveText("not deployed");
  await page.getByTestId("event-stack-deploy").click();
  await page.getByTestId("event-stack-deploy-confirm").click();
  await expect(page.getByTestId("event-stack-status")).toHaveText("CREATE_COMPLETE");
  await expect(card).toContainText(EVENT_STACK);
  await expect(card).toContainText(`/dask-workshop/${EVENT_STACK}`);
  await expect(page.getByTestId("event-stack-deploy")).toHaveCount(0);

  // An attendee deploys; the player starts the scheduler and two workers.
  const context = await browser.newContext({ baseURL: portal.url });
  const attendee = await context.newPage();
  await new SignInPage(attendee).asAttendee("Quota Learner", uniqueEmail("quota"));
  await expect(attendee).toHaveURL(/\/labs\//);
  const environment = new EnvironmentPage(attendee);
  await environment.goto();
  await environment.deploy();
  await environment.waitUntilReady();
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);

  // Re-run preflight for a room of 10: the scheduler On-Demand, the two workers on Spot, and what runs now is counted.
  await page.getByTestId("preflight-attendees").fill("10");
  await page.getByTestId("preflight-run").click();
  await expect(fargate).toContainText("The room needs 10 vCPU (10 attendees × 1 vCPU");
  await expect(fargate).toContainText("1 vCPU run in the event cluster");
  await expect(spot).toContainText("The room needs 20 vCPU (10 attendees × 2 vCPU");
  await expect(spot).toContainText("2 vCPU run in the event cluster");

  // Deleting the event stack under a live attendee stack is refused, with the reason.
  await page.getByTestId("event-stack-delete").click();
  await page.getByTestId("event-stack-delete-confirm").click();
  await expect(page.getByTestId("event-stack-error")).toContainText("1 attendee stack still uses the event stack");
  await page.getByTestId("event-stack-refresh").click();
  await expect(page.getByTestId("event-stack-status")).toHaveText("CREATE_COMPLETE");

  // Every one of those actions is in the audit log.
  await page.goto("/facilitator/audit");
  for (const action of ["aws-preflight", "quota-increase", "cost-allocation-tag", "service-linked-role", "event-stack-deploy", "event-stack-delete"]) {
    await expect(page.getByText(action).first()).toBeVisible();
  }
  await context.close();
});

// The room's image, with no DASK_IMAGE: deploys wait for it; the facilitator builds it from
// the page and follows CodeBuild's phases and log live (the harness plays CodeBuild,
// test/moto/codebuild.mjs, one phase a second); the attendee's stack then runs it; a
// failed build shows its phase and last lines.
const imageTest = testOnMoto("aws-img", { DASK_IMAGE: "" });

imageTest("the facilitator builds the room's image and attendees deploy with it; a failed build shows where it failed", async ({ page, browser, portal, moto }) => {
  const { createHash } = await import("node:crypto");
  const { readFileSync } = await import("node:fs");
  const pins = createHash("sha256").update(readFileSync("docker/requirements.txt")).digest("hex").slice(0, 12);

  await new SignInPage(page).asFacilitator();
  const card = page.getByTestId("room-image");
  await expect(page.getByTestId("room-image-current")).toContainText("none yet");
  await expect(page.getByTestId("room-image-portal-pins")).toHaveText(`pins-${pins}`);

  // Without an image, a deploy is refused with what to do.
  const context = await browser.newContext({ baseURL: portal.url });
  const attendee = await context.newPage();
  await new SignInPage(attendee).asAttendee("Image Learner", uniqueEmail("image"));
  await expect(attendee).toHaveURL(/\/labs\//);
  const environment = new EnvironmentPage(attendee);
  await environment.goto();
  await environment.deploy();
  await expect(environment.deployError()).toContainText("Deploys wait for the room's image.");
  await expect(environment.deployError()).toContainText("Build the room's image");

  // One build, however often the button is pressed while it runs.
  await page.getByTestId("room-image-build").click();
  await expect(page.getByTestId("room-image-build-status")).toHaveText(`Build started for pins-${pins}.`);
  await page.getByTestId("room-image-build").click();
  await expect(page.getByTestId("room-image-build-status")).toContainText("A build is already running");
  await expect(page.locator('[data-testid="room-image-phase"][data-phase="BUILD"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("room-image-build-view")).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 30_000 });
  const image = await page.getByTestId("room-image-build-outcome").textContent();
  expect(image).toMatch(new RegExp(`^The build succeeded: .+:pins-${pins}\\.$`));
  await expect(page.getByTestId("room-image-log-line").filter({ hasText: "Entering phase POST_BUILD" })).toHaveCount(1);
  await expect(page.getByTestId("room-image-current")).toContainText(`:pins-${pins}`, { timeout: 40_000 });
  await expect(page.getByTestId("room-image-pins-warning")).toHaveCount(0);

  // The attendee deploys now, and the stack runs the room's image.
  await environment.goto();
  await environment.deploy();
  await environment.waitUntilReady();
  const { CloudFormationClient, DescribeStacksCommand } = await import("@aws-sdk/client-cloudformation");
  const cfn = new CloudFormationClient({ endpoint: moto.endpoint, region: "us-west-2", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  const { Stacks } = await cfn.send(new DescribeStacksCommand({}));
  const stack = Stacks?.find((s) => s.Parameters?.some((p) => p.ParameterKey === "DaskImage"));
  expect(stack?.Parameters?.find((p) => p.ParameterKey === "DaskImage")?.ParameterValue).toBe(image?.replace(/^The build succeeded: /, "").replace(/\.$/, ""));

  // A build that fails in BUILD: the card names the phase and keeps the last lines in view.
  const failure = "COMMAND_EXECUTION_ERROR: Error while executing command: docker build docker/. Reason: exit status 1";
  await fetch(`${moto.env.AWS_ENDPOINT_URL_CODEBUILD}/player/next-build`, { method: "POST", body: JSON.stringify({ failAt: "BUILD", message: failure }) });
  await page.getByTestId("room-image-build").click();
  await expect(page.getByTestId("room-image-build-view")).toHaveAttribute("data-status", "FAILED", { timeout: 30_000 });
  await expect(page.getByTestId("room-image-build-outcome")).toHaveText(`The build failed in BUILD (FAILED): ${failure}`);
  await expect(page.locator('[data-testid="room-image-phase"][data-phase="BUILD"]')).toHaveAttribute("data-status", "FAILED");
  await expect(page.getByTestId("room-image-log-line").last()).toContainText("Phase complete: BUILD State: FAILED");
  await expect(card).toContainText(failure);

  await page.goto("/facilitator/audit");
  await expect(page.getByText("image-build").first()).toBeVisible();
  await context.close();
});
