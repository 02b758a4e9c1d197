// The facilitator page with PORTAL_PROVIDER=aws against moto server on loopback, in event
// mode: the preflight table (moto answers no Fargate quota, so the line says it could not
// read it), deploying the event stack from the page (the portal is given a stack name the
// harness did not deploy), and the refusal to delete it while an attendee's stack still
// imports it. Moto is a control-plane emulator; the harness
// (test/moto/cli.mjs --play-every) plays Fargate.
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, uniqueEmail } from "./support/fixtures";
import { testOnMoto } from "./support/moto";

const EVENT_STACK = "room-e2e";

const test = testOnMoto("aws-fac", { PORTAL_EVENT_STACK: EVENT_STACK });

test("the facilitator sees the account's headroom, deploys the event stack, and cannot delete it under a live room", async ({ page, browser, portal }) => {
  await new SignInPage(page).asFacilitator();
  await expect(page).toHaveURL(/\/facilitator/);

  // Preflight: event mode has no VPC or Elastic IP lines (the event stack holds the one network);
  // moto has no Fargate quota to read, so that line is amber and says where to look it up.
  const row = (key: string) => page.locator(`[data-testid="preflight-row"][data-key="${key}"]`);
  const fargate = row("fargate-vcpu");
  const spot = row("fargate-spot-vcpu");
  await expect(fargate).toBeVisible();
  await expect(page.getByTestId("preflight-row")).toHaveCount(9);
  await expect(row("vpcs")).toHaveCount(0);
  await expect(fargate).toContainText("could not read");
  await expect(fargate).toHaveAttribute("data-status", "warn");
  await expect(fargate.getByTestId("preflight-fix")).toContainText('Look up "Fargate On-Demand vCPU resource count" (L-3032A538)');

  // The ECS service-linked role is missing in a fresh moto account: the row is red and its
  // button creates it (moto names the role its own way, so the row stays red on moto; the
  // audit log below shows the action ran).
  const role = row("ecs-service-linked-role");
  await expect(role).toHaveAttribute("data-status", "fail");
  await expect(role.getByTestId("preflight-fix")).toContainText("aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com");
  await role.getByTestId("preflight-fix-action").click();
  await expect(page.getByTestId("preflight-fix-error")).toHaveCount(0);

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
  for (const action of ["aws-preflight", "ecs-service-linked-role", "event-stack-deploy", "event-stack-delete"]) {
    await expect(page.getByText(action).first()).toBeVisible();
  }
  await context.close();
});
