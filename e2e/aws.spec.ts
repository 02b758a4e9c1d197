// The attendee journey with PORTAL_PROVIDER=aws against moto server on loopback.
// Moto is a control-plane emulator: CloudFormation completes at once, and the harness
// (test/moto/cli.mjs --play-every) plays Fargate, starting each service's tasks and
// writing their start-up log lines. Event mode, because moto deletes an attendee stack
// cleanly while the event stack keeps the VPC.
import { DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import fs from "node:fs";
import path from "node:path";
import { startPresignShim } from "../test/moto/presign-shim.mjs";
import { expect, uniqueEmail } from "./support/fixtures";
import { httpClient, signInOverHttp } from "./support/http";
import { harness, testOnMoto } from "./support/moto";
import { FACILITATOR_PASSWORD, JOIN_CODE } from "./support/portal-server";

// Moto has no CreatePresignedNotebookInstanceUrl: the portal reaches moto through a loopback
// shim that answers that one call as SageMaker would and forwards the rest (test/moto/presign-shim.mjs).
let shim: Awaited<ReturnType<typeof startPresignShim>> | undefined;
// The portal believes X-Forwarded-For from loopback here, so a request can say which address
// the viewer's browser has; AllowedCidr is an address no test request comes from.
const test = testOnMoto("aws", { PORTAL_TRUSTED_PROXIES: "127.0.0.1", PORTAL_DASHBOARD_CIDR: "192.0.2.1/32" }, async (moto) => {
  shim = await startPresignShim({ target: moto.endpoint });
  return shim.endpoint;
});

/** Every security group holding `cidr` on the dashboard port, by its Name tag. */
async function groupsAdmitting(endpoint: string, cidr: string): Promise<string[]> {
  const ec2 = new EC2Client({ endpoint, region: "us-west-2", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({}));
  return (SecurityGroups ?? [])
    .filter((g) => g.IpPermissions?.some((p) => p.FromPort === 8787 && p.IpRanges?.some((r) => r.CidrIp === cidr)))
    .map((g) => g.Tags?.find((t) => t.Key === "Name")?.Value ?? g.GroupId ?? "");
}

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
  expect(presigned).toMatch(/^https:\/\/[\w-]+\.notebook\.us-west-2\.sagemaker\.aws\?authToken=[\w-]+$/);
  const token = new URL(presigned).searchParams.get("authToken") ?? "";
  expect(shim?.issued()).toContain(token);
  // The address was made for that click and kept nowhere: not in the store (audit log
  // included), not in the portal's output.
  expect(storedText(portal.dataDir)).not.toContain(token);
  expect(portal.output.join("")).not.toContain(token);
  // A role without the permission: a page that says which, not SageMaker's error.
  shim?.deny(true);
  const refused = await page.request.get(`/environments/${envId}/notebook`, { maxRedirects: 0 });
  shim?.deny(false);
  expect(refused.status()).toBe(503);
  expect(refused.headers()["content-type"]).toMatch(/^text\/html/);
  expect(await refused.text()).toMatch(/the portal&#39;s role cannot sagemaker:CreatePresignedNotebookInstanceUrl on [\w-]+: update portal-access/);
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

  // "Dask dashboard": Fargate gives the scheduler a public address; opening the link through
  // the portal admits the address the portal sees for this browser (past the trusted proxy)
  // on this environment's own scheduler group, and only there, then sends the browser on.
  const { publicIp } = JSON.parse(harness(moto, "public-address", { stack: stackName })) as { publicIp: string };
  await expect(page.getByTestId("dashboard-link")).toHaveAttribute("href", `/environments/${envId}/dashboard`);
  // The page says how the dashboard is reached: at its own address, the viewer's let in.
  await expect(page.getByTestId("dashboard-access")).toHaveAttribute("data-mode", "admit-address");
  const dashboard = await page.request.get(`/environments/${envId}/dashboard`, { maxRedirects: 0, headers: { "x-forwarded-for": "198.51.100.7" } });
  expect(dashboard.status()).toBe(303);
  expect(dashboard.headers()["location"]).toBe(`http://${publicIp}:8787/status`);
  expect(await groupsAdmitting(moto.endpoint, "198.51.100.7/32")).toEqual([`${stackName}-scheduler`]);

  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  // The address went before the stack did, and the audit log says so (and holds no notebook address).
  expect(await groupsAdmitting(moto.endpoint, "198.51.100.7/32")).toEqual([]);
  const facilitator = await httpClient(portal.url);
  expect(await signInOverHttp(facilitator, "facilitator", { password: FACILITATOR_PASSWORD })).toEqual({ ok: true });
  const audit = await (await facilitator.get("/api/facilitator/audit")).text();
  expect(audit).toMatch(/open-dashboard.*added 198\.51\.100\.7\/32 to sg-/);
  expect(audit).toMatch(/teardown.*removed 1 dashboard address rule\(s\) first/);
  expect(audit).toMatch(/open-notebook.*update portal-access/);
  expect(audit).not.toContain(token);
  await facilitator.dispose();
});
