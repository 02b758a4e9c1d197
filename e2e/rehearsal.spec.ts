import { execFileSync } from "node:child_process";
import path from "node:path";
import { SignInPage } from "./pages/signin-page";
import { expect, test } from "./support/fixtures";
import { freshDataDir, PortalServer } from "./support/portal-server";

// The facilitator's dress rehearsal with the local provider, for real: the button deploys a
// local environment that is no attendee's, the notebook runs against it with papermill on
// generated sample data, the phases and the notebook's log show live, everything is torn
// down and the report appears on the page.
test("the facilitator runs the dress rehearsal and reads its report", async ({ browser }) => {
  const dataDir = freshDataDir("rehearsal");
  execFileSync(path.join(".venv", "bin", "python"), ["notebooks/generate_sample_data.py", "--base", path.join(dataDir, "sample", "era5"), "--preset", "small"], { stdio: "pipe" });
  const portal = new PortalServer(dataDir, { PORTAL_DEFAULT_WORKERS: "1" });
  await portal.start();
  try {
    const context = await browser.newContext({ baseURL: portal.url });
    const page = await context.newPage();
    await new SignInPage(page).asFacilitator();
    await expect(page).toHaveURL(/\/facilitator/);
    const card = page.getByTestId("rehearsal");
    await expect(card.getByTestId("rehearsal-start")).toBeEnabled();

    await card.getByTestId("rehearsal-start").click();
    await expect(card.getByTestId("rehearsal-start-status")).toContainText(/The rehearsal started/);
    // A second press while it runs starts nothing, and says so.
    await card.getByTestId("rehearsal-start").click();
    await expect(card.getByTestId("rehearsal-start-status")).toContainText(/already running.*nothing new was started/);

    await expect(card.getByTestId("rehearsal-log-line").filter({ hasText: "Executing notebook" }).first()).toBeVisible({ timeout: 120_000 });
    await expect(card.getByTestId("rehearsal-view")).toHaveAttribute("data-status", "passed", { timeout: 150_000 });
    for (const phase of ["stack", "tasks", "notebook", "teardown"]) {
      await expect(card.locator(`[data-testid="rehearsal-phase"][data-phase="${phase}"]`)).toHaveAttribute("data-status", "done");
    }
    const report = card.getByTestId("rehearsal-report");
    await expect(report).toHaveAttribute("data-status", "passed");
    await expect(report).toContainText("PASSED");
    await expect(report).toContainText(/Global mean 2 m temperature: -?[0-9.]+ °C/);
    await expect(report).toContainText("Cities in the hourly table: 5");

    // The rehearsal is no attendee: the roster stays empty.
    await expect(page.getByTestId("roster-row")).toHaveCount(0);
    await context.close();
  } finally {
    await portal.stop();
  }
});
