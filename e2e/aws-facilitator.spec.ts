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

  // Preflight: event mode has one line, Fargate vCPU; moto has no Fargate quota to read.
  const fargate = page.locator('[data-testid="preflight-row"][data-key="fargate-vcpu"]');
  await expect(fargate).toBeVisible();
  await expect(page.getByTestId("preflight-row")).toHaveCount(1);
  await expect(fargate).toContainText("could not read");
  await expect(fargate).toHaveAttribute("data-status", "warn");

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

  // Re-run preflight for a room of 10: 3 vCPU each, and what runs now is counted.
  await page.getByTestId("preflight-attendees").fill("10");
  await page.getByTestId("preflight-run").click();
  await expect(fargate).toContainText("The room needs 30 vCPU (10 attendees × 3 vCPU");
  await expect(fargate).toContainText("3 vCPU run in the event cluster");

  // Deleting the event stack under a live attendee stack is refused, with the reason.
  await page.getByTestId("event-stack-delete").click();
  await page.getByTestId("event-stack-delete-confirm").click();
  await expect(page.getByTestId("event-stack-error")).toContainText("1 attendee stack still uses the event stack");
  await page.getByTestId("event-stack-refresh").click();
  await expect(page.getByTestId("event-stack-status")).toHaveText("CREATE_COMPLETE");

  // Every one of those actions is in the audit log.
  await page.goto("/facilitator/audit");
  for (const action of ["aws-preflight", "event-stack-deploy", "event-stack-delete"]) {
    await expect(page.getByText(action).first()).toBeVisible();
  }
  await context.close();
});
