import AxeBuilder from "@axe-core/playwright";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";

test.describe("signing in and reading the labs", () => {
  test("a wrong join code is refused with a message and no session", async ({ page, signIn }) => {
    await signIn.asAttendee("Wrong Code", uniqueEmail("wrong"), "NOT-THE-CODE");
    await expect(signIn.attendeeError()).toContainText("join code is not right");
    await page.goto("/labs");
    await expect(page).toHaveURL(/\/signin/);
  });

  test("empty fields get a clear message", async ({ signIn, page }) => {
    await signIn.goto();
    await page.getByTestId("signin-attendee").getByRole("button", { name: /join/i }).click();
    await expect(signIn.attendeeError()).toContainText("Enter your name");
  });

  test("the right code lands on the first lab, with five labs in the sidebar", async ({ page, signIn }) => {
    await signIn.asAttendee("Ada Lovelace", uniqueEmail("ada"));
    await expect(page).toHaveURL(/\/labs\/01-/);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.getByTestId("lab-list").getByRole("listitem")).toHaveCount(5);
    await expect(page.getByRole("img", { name: /architecture|diagram/i }).first()).toBeVisible();
  });

  test("marking a lab done survives a reload and a server restart", async ({ page, signIn, portal }) => {
    const email = uniqueEmail("grace");
    await signIn.asAttendee("Grace Hopper", email);
    await page.getByRole("link", { name: /build and push/i }).first().click();
    await expect(page).toHaveURL(/\/labs\/02-/);
    const done = page.getByTestId("lab-done");
    await done.click();
    await expect(done).toHaveAttribute("aria-pressed", "true");
    await page.reload();
    await expect(page.getByTestId("lab-done")).toHaveAttribute("aria-pressed", "true");

    await portal.restart();
    // The session cookie outlives the restart (same secret); the progress must come from the store.
    await page.goto("/labs/02-build-and-push-the-dask-image");
    await expect(page.getByTestId("lab-done")).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByRole("navigation", { name: "Labs" })).toContainText("1 of 5 done");
  });

  test("an unknown lab is a 404 page", async ({ page, signIn }) => {
    await signIn.asAttendee("Lost Person", uniqueEmail("lost"));
    await expect(page).toHaveURL(/\/labs\//);
    const response = await page.goto("/labs/no-such-lab");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: /not found/i })).toBeVisible();
  });

  test("an attendee opening /facilitator gets 403; the facilitator gets in", async ({ page, browser, signIn, portal }) => {
    await signIn.asAttendee("Curious Attendee", uniqueEmail("curious"));
    await expect(page).toHaveURL(/\/labs\//);
    const response = await page.goto("/facilitator");
    expect(response?.status()).toBe(403);
    const api = await page.request.get("/api/facilitator/events");
    expect(api.status()).toBe(403);

    const context = await browser.newContext({ baseURL: portal.url });
    const facilitatorPage = await context.newPage();
    const other = new SignInPage(facilitatorPage);
    await other.asFacilitator("wrong-password");
    await expect(facilitatorPage.getByTestId("signin-facilitator").getByRole("alert")).toContainText("not right");
    await other.asFacilitator();
    await expect(facilitatorPage).toHaveURL(/\/facilitator/);
    await expect(facilitatorPage.getByRole("heading", { level: 1 })).toContainText(/facilitator|room/i);
    await context.close();
  });

  test("signing out ends the session", async ({ page, signIn }) => {
    await signIn.asAttendee("Leaving Soon", uniqueEmail("leave"));
    await expect(page).toHaveURL(/\/labs\//);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin/);
    await page.goto("/environment");
    await expect(page).toHaveURL(/\/signin/);
  });

  test("axe finds no serious or critical problems on the sign-in and lab pages", async ({ page, signIn }) => {
    await signIn.goto();
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(await serious()).toEqual([]);
    await signIn.asAttendee("Axe Tester", uniqueEmail("axe"));
    await expect(page).toHaveURL(/\/labs\/01-/);
    expect(await serious()).toEqual([]);
    await page.goto("/labs/04-analyse-era5-in-the-notebook");
    expect(await serious()).toEqual([]);
  });
});
