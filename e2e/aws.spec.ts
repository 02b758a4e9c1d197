// The attendee journey with PORTAL_PROVIDER=aws against moto server on loopback.
// Moto is a control-plane emulator: CloudFormation completes at once, and the harness
// (test/moto/cli.mjs --play-every) plays Fargate, starting each service's tasks and
// writing their start-up log lines. Event mode, because moto deletes an attendee stack
// cleanly while the event stack keeps the VPC.
import { expect, uniqueEmail } from "./support/fixtures";
import { harness, testOnMoto } from "./support/moto";

const test = testOnMoto("aws");

test("deploy on AWS (moto), watch the tasks and logs arrive live, and tear it down", async ({ page, signIn, environment, moto }) => {
  await signIn.asAttendee("Cloud Learner", uniqueEmail("cloud"));
  await expect(page).toHaveURL(/\/labs\//);
  await environment.goto();
  await environment.deploy();

  await environment.waitUntilReady();
  // Tasks and log lines come from ECS and CloudWatch Logs as the player writes them.
  await expect(environment.tasks("scheduler", "RUNNING")).toHaveCount(1);
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);
  await expect(environment.logLines().filter({ hasText: "Scheduler at:" })).toHaveCount(1);
  await expect(environment.logLines().filter({ hasText: "Start worker at:" })).toHaveCount(2);
  await expect(page.getByText(/tcp:\/\/dask-cloud-learner-[0-9a-f]{6}-scheduler\.dask-event\.dask:8786/)).toBeVisible();
  // "Open the notebook" goes through the portal, which asks SageMaker for a presigned URL at
  // that moment; moto offers none, so it falls back to the console's link.
  const envId = (await page.getByTestId("environment").getAttribute("data-env-id")) ?? "";
  await expect(page.getByTestId("notebook-link")).toHaveAttribute("href", `/environments/${envId}/notebook`);
  const opened = await page.request.get(`/environments/${envId}/notebook`, { maxRedirects: 0 });
  expect(opened.status()).toBe(303);
  expect(opened.headers()["location"]).toMatch(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/sagemaker\//);

  // While the page is open: a line the scheduler writes, and a worker Fargate stops.
  const stackName = (await page.getByRole("heading", { name: /^Stack/ }).locator("code").textContent()) ?? "";
  const schedulerTask = (await environment.tasks("scheduler", "RUNNING").locator("td").first().textContent()) ?? "";
  const workerTask = (await environment.tasks("worker", "RUNNING").first().locator("td").first().textContent()) ?? "";
  harness(moto, "log", { stack: stackName, role: "scheduler", task: schedulerTask, text: "distributed.scheduler - INFO - Receive client connection: Client-e2e" });
  await expect(environment.logLines().filter({ hasText: "Receive client connection: Client-e2e" })).toHaveCount(1);
  harness(moto, "stop-task", { stack: stackName, task: workerTask, reason: "Spot interruption: Your Spot Task was interrupted." });
  await expect(environment.tasks("worker", "STOPPED")).toHaveCount(1);
  await expect(environment.tasks("worker", "STOPPED")).toContainText("Spot interruption");
  // The service replaces it, as ECS would.
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);

  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
});
