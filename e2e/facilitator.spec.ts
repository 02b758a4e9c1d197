import { SignInPage } from "./pages/signin-page";
import { expect, test } from "./support/fixtures";
import { attendee } from "./support/people";
import { freshDataDir, PortalServer } from "./support/portal-server";
import { environmentProcessesOf } from "./support/processes";

test("a facilitator runs a room of two: live roster, a check, an announcement, a help request, tear down all", async ({ browser }) => {
  // A room of its own: the counts below must not see attendees from other tests.
  const portal = new PortalServer(freshDataDir("room"));
  await portal.start();
  try {
    const ada = await attendee(browser, portal.url, "Ada Room");
    const bob = await attendee(browser, portal.url, "Bob Room");

    const facContext = await browser.newContext({ baseURL: portal.url });
    const fac = await facContext.newPage();
    await new SignInPage(fac).asFacilitator();
    await expect(fac).toHaveURL(/\/facilitator/);
    await expect(fac.getByTestId("room-connection")).toHaveText(/live/);
    await expect(fac.getByTestId("roster-row")).toHaveCount(2);

    for (const a of [ada, bob]) {
      await a.env.goto();
      await a.env.deploy();
    }
    for (const a of [ada, bob]) await a.env.waitUntilReady();
    // The roster follows both environments live, without a reload.
    await expect(fac.locator('[data-testid="roster-row"][data-env-status="CREATE_COMPLETE"]')).toHaveCount(2, { timeout: 60_000 });

    // Ada passes lab 3's check; the facilitator sees her checks go up.
    await ada.page.goto("/labs/03-deploy-the-dask-environment");
    await ada.page.getByTestId("check-button").click();
    await expect(ada.page.getByTestId("check-result")).toContainText("Passed");
    await expect(fac.getByTestId("roster-row").filter({ hasText: "Ada Room" }).getByTestId("roster-checks")).toHaveText("1");
    // Bob has not tidied up yet: lab 5's check fails with a hint.
    await bob.page.goto("/labs/05-clean-up");
    await bob.page.getByTestId("check-button").click();
    await expect(bob.page.getByTestId("check-result")).toContainText("Tear it down");

    // An announcement reaches both attendees live.
    await fac.getByTestId("announce-input").fill("Coffee is in the back. <b>not bold</b>");
    await fac.getByTestId("announce-submit").click();
    for (const a of [ada, bob]) {
      await expect(a.page.getByTestId("announcement").filter({ hasText: "Coffee is in the back. <b>not bold</b>" })).toHaveCount(1);
    }

    // Bob asks for help; the facilitator sees the diagnostics with real scheduler log lines.
    await bob.page.getByTestId("help-button").click();
    await bob.page.getByTestId("help-message").fill("My <script>alert(1)</script> workers?");
    await bob.page.getByTestId("help-submit").click();
    await expect(bob.page.getByTestId("help-status")).toContainText("Help requested");
    const item = fac.getByTestId("help-item").filter({ hasText: "Bob Room" });
    await expect(item).toContainText("My <script>alert(1)</script> workers?");
    await item.getByTestId("help-open-bundle").click();
    await expect(item.getByTestId("help-bundle-log")).toContainText("Scheduler at:");
    await item.getByRole("button", { name: "I'm coming" }).click();
    await expect(bob.page.getByTestId("help-status")).toContainText("on the way");

    // Tear down all: the confirmation names the count; the bar runs to the end.
    await fac.getByTestId("teardown-all").click();
    await expect(fac.getByRole("alertdialog")).toContainText("Delete 2 environments?");
    await fac.getByTestId("teardown-all-confirm").click();
    await expect(fac.getByTestId("teardown-all-summary")).toContainText("2 of 2 deleted", { timeout: 60_000 });
    await expect(fac.getByTestId("room-live-count")).toHaveText("0");
    await expect.poll(() => environmentProcessesOf(portal.dataDir).length, { timeout: 15_000 }).toBe(0);

    // The audit log recorded it, and exports as CSV.
    await fac.goto("/facilitator/audit");
    await expect(fac.getByTestId("audit-row").filter({ hasText: "teardown-all" })).toHaveCount(1);
    const csv = await fac.request.get("/api/facilitator/audit");
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect(await csv.text()).toContain("teardown-all");
    for (const c of [ada.context, bob.context, facContext]) await c.close();
  } finally {
    await portal.stop();
  }
});

test("facilitator streams and actions refuse anonymous users and attendees", async ({ browser, portal }) => {
  const anonymous = await browser.newContext({ baseURL: portal.url });
  expect((await anonymous.request.get("/api/facilitator/events")).status()).toBe(401);
  expect((await anonymous.request.get("/api/facilitator/audit")).status()).toBe(401);
  await anonymous.close();
  const a = await attendee(browser, portal.url, "Nosy Attendee");
  expect((await a.page.request.get("/api/facilitator/audit")).status()).toBe(403);
  const page = await a.page.goto("/facilitator/audit");
  expect(page?.status()).toBe(403);
  await a.context.close();
});

test("at the event's end the portal deletes what is still running and reports it", async ({ browser }) => {
  const portal = new PortalServer(freshDataDir("end"));
  await portal.start();
  try {
    const ada = await attendee(browser, portal.url, "Late Leaver");
    await ada.env.goto();
    await ada.env.deploy();
    await ada.env.waitUntilReady();

    const facContext = await browser.newContext({ baseURL: portal.url });
    const fac = await facContext.newPage();
    await new SignInPage(fac).asFacilitator();
    await expect(fac).toHaveURL(/\/facilitator/);
    // End the event 25 seconds from now, in the facilitator's local time as the form expects.
    const end = new Date(Date.now() + 25_000);
    const local = await fac.evaluate((iso) => {
      const d = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }, end.toISOString());
    await fac.getByLabel("Ends").fill(local);
    await fac.getByRole("button", { name: "Save" }).click();
    await expect(fac.getByText("Saved.")).toBeVisible();

    // The attendee with a running environment is warned, live.
    await expect(ada.page.getByTestId("event-countdown").or(ada.page.getByTestId("event-ended"))).toBeVisible();
    // Minutes resolution: the saved end is at most a minute away; the portal then deletes everything.
    await expect(ada.env.status()).toHaveText("DELETE_COMPLETE", { timeout: 120_000 });
    await fac.reload();
    await expect(fac.getByTestId("final-report")).toContainText("Every environment is deleted");
    await expect(fac.getByTestId("final-report")).toContainText("Late Leaver");
    await fac.goto("/facilitator/audit");
    await expect(fac.getByTestId("audit-row").filter({ hasText: "event-end-teardown" })).toHaveCount(1);
    await ada.context.close();
    await facContext.close();
  } finally {
    await portal.stop();
  }
});
