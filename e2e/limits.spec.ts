import fs from "node:fs";
import path from "node:path";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { freshDataDir, PortalServer } from "./support/portal-server";

// The event's limits as the room meets them. Browsers run in UTC, so the times the
// facilitator types are the times the messages show.

/** "HH:MM" in UTC, for a datetime-local field of a browser in UTC; with the day when it is not today. */
function utc(at: Date, now: Date) {
  const iso = at.toISOString();
  const sameDay = iso.slice(0, 10) === now.toISOString().slice(0, 10);
  return { input: iso.slice(0, 16), shown: `${sameDay ? "" : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC` };
}

test("once the facilitator has ended the event, an attendee's Deploy is refused with the time it ended", async ({ browser }) => {
  // A portal of its own: ending the event must not close deploys for other tests.
  const portal = new PortalServer(freshDataDir("limits"), { PORTAL_MAX_ATTENDEES: "40" });
  await portal.start();
  try {
    const facContext = await browser.newContext({ baseURL: portal.url, timezoneId: "UTC" });
    const fac = await facContext.newPage();
    await new SignInPage(fac).asFacilitator();
    await expect(fac).toHaveURL(/\/facilitator/);
    const limits = fac.getByTestId("limits");
    await expect(limits.getByTestId("limits-deploys")).toHaveText("open");
    await expect(limits.getByTestId("limits-attendees")).toHaveText("0 of 40");

    const adaContext = await browser.newContext({ baseURL: portal.url, timezoneId: "UTC" });
    const ada = await adaContext.newPage();
    await new SignInPage(ada).asAttendee("Ada Limits", uniqueEmail("ada-limits"));
    await expect(ada).toHaveURL(/\/labs\//);

    // The facilitator sets the event's end an hour ago.
    const now = new Date();
    const end = utc(new Date(Math.floor(now.getTime() / 60_000) * 60_000 - 60 * 60_000), now);
    await fac.getByLabel("Ends").fill(end.input);
    await fac.getByRole("button", { name: "Save" }).click();
    await expect(fac.getByText("Saved.")).toBeVisible();

    const closed = `The event has ended (at ${end.shown}); deploys are closed.`;
    const env = new EnvironmentPage(ada);
    await env.goto();
    await env.deploy();
    await expect(env.deployError()).toHaveText(closed);
    // Nothing was created: the page still offers Deploy, and the room has no environment.
    await ada.reload();
    await expect(ada.getByTestId("deploy-button")).toBeVisible();
    await expect(ada.getByTestId("env-status")).toHaveCount(0);

    await fac.reload();
    await expect(limits.getByTestId("limits-deploys")).toHaveText(closed);
    await expect(limits.getByTestId("limits-attendees")).toHaveText("1 of 40");
    await expect(fac.getByTestId("room-live-count")).toHaveText("0");
    await Promise.all([facContext.close(), adaContext.close()]);
  } finally {
    await portal.stop();
  }
});

test("workers the notebook asked for past the maximum are set back, and the attendee reads why", async ({ browser }) => {
  const portal = new PortalServer(freshDataDir("workers"), { PORTAL_MAX_WORKERS: "2", PORTAL_DEFAULT_WORKERS: "1" });
  await portal.start();
  const context = await browser.newContext({ baseURL: portal.url });
  try {
    const page = await context.newPage();
    await new SignInPage(page).asAttendee("Ada Workers", uniqueEmail("ada-workers"));
    await expect(page).toHaveURL(/\/labs\//);
    const env = new EnvironmentPage(page);
    const envId = await env.deployReady();

    // Locally the worker service's desired count lives in the environment's state file, which
    // the notebook (the same user, in a folder below it) can rewrite; a restarted portal adopts it.
    await portal.stop();
    const stateFile = path.join(portal.dataDir, "local", envId, "state.json");
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8"));
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, desiredWorkers: 5 }));
    await portal.start();

    await page.reload();
    await expect(env.logLines().filter({ hasText: "Your workers were set back to 2, the event's maximum" })).toHaveCount(1);
    await expect(env.tasks("worker", "RUNNING")).toHaveCount(2);
    expect(JSON.parse(fs.readFileSync(stateFile, "utf8")).desiredWorkers).toBe(2);

    await env.teardown();
    await expect(env.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  } finally {
    await context.close();
    await portal.stop();
  }
});
