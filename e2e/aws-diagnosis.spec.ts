// Failures explained, with PORTAL_PROVIDER=aws against moto server on loopback in event
// mode: the room is configured with an image its ECR repository does not hold. The harness
// (test/moto/cli.mjs --pull-from-ecr) plays what Fargate does then: each task the services
// ask for tries to pull for a few seconds and is stopped with ECS's CannotPullContainerError. The attendee's page says
// image-missing with its fix; the facilitator's Room problems card groups it and offers
// to build the room's image, which starts the build (the harness plays CodeBuild).
import { catalogue } from "@/lib/diagnosis/catalogue";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, uniqueEmail } from "./support/fixtures";
import { testOnMoto } from "./support/moto";

const MISSING = "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:pins-000000000000";

const test = testOnMoto("aws-diag", { DASK_IMAGE: MISSING }, async (moto) => moto.endpoint, ["--pull-from-ecr"]);

test("tasks stopped for a missing image show image-missing, and the Room problems card offers to build the room's image", async ({ page, browser, portal }) => {
  const context = await browser.newContext({ baseURL: portal.url });
  const attendee = await context.newPage();
  await new SignInPage(attendee).asAttendee("Ivy Image", uniqueEmail("ivy"));
  await expect(attendee).toHaveURL(/\/labs\//);
  const environment = new EnvironmentPage(attendee);
  await environment.goto();
  await environment.deploy();

  // The stack completes (moto); its tasks never run: each is stopped with the pull error.
  const diagnosis = attendee.getByTestId("diagnosis");
  await expect(diagnosis).toHaveAttribute("data-code", "image-missing", { timeout: 60_000 });
  await expect(attendee.getByTestId("diagnosis-cause")).toHaveText(catalogue["image-missing"].cause);
  await expect(attendee.getByTestId("diagnosis-fix")).toHaveText(catalogue["image-missing"].fix);
  await attendee.getByTestId("diagnosis-raw").locator("summary").click();
  await expect(attendee.getByTestId("diagnosis-raw").locator("pre")).toHaveText("CannotPullContainerError: Error: image dask-workshop:pins-000000000000 not found");
  await expect(environment.tasks("worker", "STOPPED").first()).toContainText("CannotPullContainerError");
  await expect(environment.tasks("scheduler", "STOPPED").first()).toContainText("CannotPullContainerError");

  await new SignInPage(page).asFacilitator();
  const group = page.locator('[data-testid="problem-group"][data-code="image-missing"]');
  await expect(group.getByTestId("problem-count")).toHaveText("1");
  await expect(group.getByTestId("problem-names")).toHaveText("Ivy Image");
  await expect(group).toContainText(catalogue["image-missing"].cause);
  await expect(group.getByTestId("problem-redeploy")).toHaveText("Tear down and redeploy these 1");

  // The action the cause calls for: the room's image is built (CodeBuild, played by the harness).
  await group.getByTestId("problem-build-image").click();
  await expect(group.getByTestId("problem-action-result")).toHaveText("The room's image is building: follow it on the Room image card.");
  await expect(page.getByTestId("room-image-build-view")).toBeVisible({ timeout: 30_000 });

  await page.goto("/facilitator/audit");
  await expect(page.getByText("image-build").first()).toBeVisible();
  await context.close();
});
