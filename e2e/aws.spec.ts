// The attendee journey with PORTAL_PROVIDER=aws against moto server on loopback.
// Moto is a control-plane emulator: CloudFormation completes at once, and the harness
// (test/moto/cli.mjs --play-every) plays Fargate, starting each service's tasks and
// writing their start-up log lines. Event mode, because moto deletes an attendee stack
// cleanly while the event stack keeps the VPC.
import fs from "node:fs";
import path from "node:path";
import { startPresignShim } from "../test/moto/presign-shim.mjs";
import { expect, uniqueEmail } from "./support/fixtures";
import { httpClient, signInOverHttp } from "./support/http";
import { harness, testOnMoto } from "./support/moto";
import { JOIN_CODE } from "./support/portal-server";

// Moto has no CreatePresignedNotebookInstanceUrl: the portal reaches moto through a loopback
// shim that answers that one call as SageMaker would and forwards the rest (test/moto/presign-shim.mjs).
let shim: Awaited<ReturnType<typeof startPresignShim>> | undefined;
const test = testOnMoto("aws", {}, async (moto) => {
  shim = await startPresignShim({ target: moto.endpoint });
  return shim.endpoint;
});

/** Every file of the portal's data folder (the SQLite store, its WAL, secrets) as text. */
function storedText(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name)).toString("latin1"))
    .join("\n");
}

test("deploy on AWS (moto), watch the tasks and logs arrive live, and tear it down", async ({ page, signIn, environment, moto, portal }) => {
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
  // that moment (event mode: never the console, which needs an AWS sign-in the attendee lacks).
  const envId = (await page.getByTestId("environment").getAttribute("data-env-id")) ?? "";
  await expect(page.getByTestId("notebook-link")).toHaveAttribute("href", `/environments/${envId}/notebook`);
  const opened = await page.request.get(`/environments/${envId}/notebook`, { maxRedirects: 0 });
  expect(opened.status()).toBe(303);
  expect(opened.headers()["cache-control"]).toBe("no-store");
  const presigned = opened.headers()["location"];
  expect(presigned).toMatch(/^https:\/\/[\w-]+\.notebook\.us-east-1\.sagemaker\.aws\?authToken=[\w-]+$/);
  const token = new URL(presigned).searchParams.get("authToken") ?? "";
  expect(shim?.issued()).toContain(token);
  // The address was made for that click and kept nowhere: not in the store (audit log
  // included), not in the portal's output.
  expect(storedText(portal.dataDir)).not.toContain(token);
  expect(portal.output.join("")).not.toContain(token);
  // Another attendee gets the same 404 as for an environment that does not exist.
  const other = await httpClient(portal.url);
  expect(await signInOverHttp(other, "attendee", { name: "Other Learner", email: uniqueEmail("other"), code: JOIN_CODE })).toEqual({ ok: true });
  for (const kind of ["notebook", "dashboard"]) {
    expect((await other.get(`/environments/${envId}/${kind}`, { maxRedirects: 0 })).status(), kind).toBe(404);
  }
  await other.dispose();

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
