import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";

// Issue 14's acceptance suite, markup: whatever a room types (a name, a help request, an
// announcement) or a program prints (a log line) is shown as the text it is, on every page
// that shows it, and never runs. Each payload would set window.__pwned if it ran, and
// `img[src=x]` would exist if it had become markup.

const NAME = '<img src=x onerror="window.__pwned=1">';
const HELP = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> help';
const ANNOUNCEMENT = '<svg onload="window.__pwned=1"></svg><img src=x onerror="window.__pwned=1"> coffee';
const LOG_LINE = '<img src=x onerror="window.__pwned=1"> <a href="javascript:window.__pwned=1">task</a> from the scheduler';

async function expectInert(page: Page, label: string) {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), `${label}: a payload ran`).toBeUndefined();
  await expect(page.locator('img[src="x"], svg[onload], a[href^="javascript:"]'), `${label}: a payload became markup`).toHaveCount(0);
}

/** The scheduler's log file of a local environment: its task writes "Scheduler at:" first. */
function schedulerLog(dataDir: string, envId: string): string {
  // The tasks write their logs in the environment's box (lib/providers/local/box.ts).
  const dir = path.join(dataDir, "local", envId, "box");
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .map((f) => path.join(dir, f))
    .find((f) => fs.readFileSync(f, "utf8").includes("Scheduler at:"));
  if (!file) throw new Error(`no scheduler log under ${dir}`);
  return file;
}

test("names, help requests, announcements and log lines stay text on every page that shows them", async ({ page, browser, portal }) => {
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await new SignInPage(page).asAttendee(NAME, uniqueEmail("markup"));
  await expect(page).toHaveURL(/\/labs\//);

  // A log line: the local provider streams what the scheduler writes to its log file; the
  // test writes the line the way a program echoing an attendee's input (a task name) would.
  await page.goto("/environment");
  await page.getByTestId("deploy-button").click();
  await expect(page.getByTestId("env-status")).toHaveText("CREATE_COMPLETE", { timeout: 120_000 });
  const envId = (await page.getByTestId("environment").getAttribute("data-env-id")) ?? "";
  fs.appendFileSync(schedulerLog(portal.dataDir, envId), `${LOG_LINE}\n`);
  await expect(page.getByTestId("log-line").filter({ hasText: LOG_LINE })).toHaveCount(1);

  await page.getByTestId("help-button").click();
  await page.getByTestId("help-message").fill(HELP);
  await page.getByTestId("help-submit").click();
  await expect(page.getByTestId("help-status")).toContainText("Help requested");

  const facContext = await browser.newContext({ baseURL: portal.url });
  const fac = await facContext.newPage();
  fac.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await new SignInPage(fac).asFacilitator();
  await expect(fac).toHaveURL(/\/facilitator/);
  await fac.getByTestId("announce-input").fill(ANNOUNCEMENT);
  await fac.getByTestId("announce-submit").click();

  // The attendee's pages: the announcement arrives live, the log line is there after a reload too.
  await expect(page.getByTestId("announcement").filter({ hasText: ANNOUNCEMENT })).toHaveCount(1);
  await expectInert(page, "environment page, live");
  await page.reload();
  await expect(page.getByTestId("log-line").filter({ hasText: LOG_LINE })).toHaveCount(1);
  await expect(page.getByTestId("help-status")).toBeVisible();
  await expectInert(page, "environment page, reloaded");
  await page.goto("/labs");
  await expect(page.getByTestId("announcement").filter({ hasText: ANNOUNCEMENT })).toHaveCount(1);
  await expectInert(page, "lab page");

  // The facilitator's room: the name in the roster, the help request with its diagnostics.
  await fac.goto("/facilitator");
  await expect(fac.getByTestId("roster-row").filter({ hasText: NAME })).toHaveCount(1);
  const item = fac.getByTestId("help-item").filter({ hasText: HELP });
  await expect(item).toContainText(NAME);
  await item.getByTestId("help-open-bundle").click();
  await expect(item.getByTestId("help-bundle-log")).toContainText(LOG_LINE);
  await expectInert(fac, "facilitator room");

  // The facilitator's view of this environment: name and log lines.
  await fac.goto(`/facilitator/environments/${envId}`);
  await expect(fac.getByText(NAME).first()).toBeVisible();
  await expect(fac.getByTestId("log-line").filter({ hasText: LOG_LINE })).toHaveCount(1);
  await expectInert(fac, "facilitator environment page");

  // The audit page: the announcement's text is its detail.
  await fac.goto("/facilitator/audit");
  await expect(fac.getByTestId("audit-row").filter({ hasText: ANNOUNCEMENT })).toHaveCount(1);
  await expectInert(fac, "audit page");

  expect(dialogs, "no payload opened a dialog").toEqual([]);

  await page.goto("/environment");
  await page.getByTestId("teardown-button").click();
  await page.getByTestId("teardown-confirm").click();
  await expect(page.getByTestId("env-status")).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  await facContext.close();
});
