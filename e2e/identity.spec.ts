import type { WebSocket } from "@playwright/test";
import { expect, test, uniqueEmail, type Page } from "./support/fixtures";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";

// Attendee identity: an email alone does not sign anyone in as somebody else, and the
// facilitator can end a session and hand out a new return code.

async function freshPage(page: Page): Promise<Page> {
  return (await page.context().browser()!.newContext({ baseURL: new URL(page.url()).origin })).newPage();
}

test("a known email needs its return code: without it the sign-in is refused, with it the attendee gets their own environment back", async ({
  page,
  signIn,
  environment,
}) => {
  const email = uniqueEmail("rita");
  await signIn.asAttendee("Rita Levi-Montalcini", email);
  await expect(page).toHaveURL(/\/labs\//);
  await expect(page.getByTestId("return-code")).toContainText("you need this to sign back in");
  const code = await signIn.keepReturnCode();
  expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await page.reload();
  await expect(page.getByTestId("return-code")).toHaveCount(0);

  await environment.goto();
  await environment.deploy();
  await expect(environment.status()).toHaveText(/CREATE_IN_PROGRESS|CREATE_COMPLETE/);
  const envId = await page.getByTestId("environment").getAttribute("data-env-id");

  // Somebody else who knows the join code and her email.
  const impostorPage = await freshPage(page);
  const impostor = new SignInPage(impostorPage);
  await impostor.asAttendee("Not Rita", email);
  await expect(impostor.attendeeError()).toContainText("already joined. Enter your return code");
  await impostor.asAttendee("Not Rita", email, undefined, "ABCD-EFGH-JKMN");
  await expect(impostor.attendeeError()).toContainText("return code is not right");
  await expect(impostorPage).toHaveURL(/\/signin/);
  expect((await impostorPage.request.get(`/api/environments/${envId}/events`)).status()).toBe(401);

  // Rita on another computer, with her code.
  const laterPage = await freshPage(page);
  await new SignInPage(laterPage).asAttendee("Rita Levi-Montalcini", email, undefined, code);
  await expect(laterPage).toHaveURL(/\/labs\//);
  const later = new EnvironmentPage(laterPage);
  await later.goto();
  await expect(laterPage.getByTestId("environment")).toHaveAttribute("data-env-id", envId!);
  await later.waitUntilReady();
  await later.teardown();
  await expect(later.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
});

test("the facilitator signs an attendee out: their open page leaves within seconds; a new return code replaces the old one", async ({
  page,
  signIn,
}) => {
  const email = uniqueEmail("emmy");
  await signIn.asAttendee("Emmy Noether", email);
  const oldCode = await signIn.keepReturnCode();
  await page.goto("/environment");

  const facilitatorPage = await freshPage(page);
  await new SignInPage(facilitatorPage).asFacilitator();
  await expect(facilitatorPage).toHaveURL(/\/facilitator$/);
  await facilitatorPage.getByRole("link", { name: "Attendees" }).click();
  const row = facilitatorPage.locator(`[data-testid="attendee-admin-row"][data-email="${email}"]`);
  await row.getByRole("button", { name: "Sign out" }).click();
  await expect(facilitatorPage.getByRole("status").filter({ hasText: "Signed out Emmy Noether." })).toBeVisible();

  // The open page's stream is told, and the page goes to the sign-in form.
  await expect(page).toHaveURL(/\/signin/, { timeout: 20_000 });

  await row.getByRole("button", { name: "New return code" }).click();
  const newCode = (await facilitatorPage.getByTestId("issued-return-code-value").textContent()) ?? "";
  expect(newCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  expect(newCode).not.toBe(oldCode);

  await signIn.asAttendee("Emmy Noether", email, undefined, oldCode);
  await expect(signIn.attendeeError()).toContainText("return code is not right");
  await signIn.asAttendee("Emmy Noether", email, undefined, newCode);
  await expect(page).toHaveURL(/\/labs\//);

  // Everything the facilitator did is in the audit log, with where the sign-ins came from.
  await facilitatorPage.goto("/facilitator/audit");
  await expect(facilitatorPage.getByRole("table")).toContainText("sign-out-attendee");
  await expect(facilitatorPage.getByRole("table")).toContainText("return-code");
  await expect(facilitatorPage.getByRole("table")).toContainText(/from (127\.0\.0\.1|::1) \(Mozilla/);
});

test("signing an attendee out, or removing them, closes their open kernel and dashboard WebSockets", async ({ page, signIn, environment }) => {
  test.setTimeout(300_000);
  const email = uniqueEmail("sophie");
  await signIn.asAttendee("Sophie Germain", email);
  const code = await signIn.keepReturnCode();
  const envId = await environment.deployReady();
  const context = page.context();

  /** JupyterLab open on the workshop notebook, its kernel's WebSocket, and the dashboard's live one. */
  async function openSockets() {
    await environment.goto();
    const [lab] = await Promise.all([context.waitForEvent("page"), page.getByTestId("notebook-link").click()]);
    const kernel = await lab.waitForEvent("websocket", { predicate: (ws) => /\/api\/kernels\/[^/]+\/channels/.test(ws.url()), timeout: 90_000 });
    const board = await context.newPage();
    const bokeh = board.waitForEvent("websocket", (ws) => ws.url().includes(`/environments/${envId}/dashboard/status/ws`));
    await board.goto(`/environments/${envId}/dashboard`);
    const dashboard = await bokeh;
    await dashboard.waitForEvent("framereceived");
    return { kernel, dashboard, pages: [lab, board] };
  }

  /** Both sockets closed within `ms` of now (neither closed yet). */
  function closedWithin(open: { kernel: WebSocket; dashboard: WebSocket }, ms: number) {
    expect(open.kernel.isClosed() || open.dashboard.isClosed()).toBe(false);
    return Promise.all([open.kernel.waitForEvent("close", { timeout: ms }), open.dashboard.waitForEvent("close", { timeout: ms })]);
  }

  const facilitatorPage = await freshPage(page);
  await new SignInPage(facilitatorPage).asFacilitator();
  await expect(facilitatorPage).toHaveURL(/\/facilitator$/);
  await facilitatorPage.goto("/facilitator/attendees");
  const row = facilitatorPage.locator(`[data-testid="attendee-admin-row"][data-email="${email}"]`);

  const before = await openSockets();
  // Waited for from before the click: the portal may close them before its answer is on the page.
  const signedOutClosed = closedWithin(before, 20_000);
  await row.getByRole("button", { name: "Sign out" }).click();
  await expect(facilitatorPage.getByRole("status").filter({ hasText: "Signed out Sophie Germain." })).toBeVisible();
  await signedOutClosed;
  for (const p of before.pages) await p.close();
  // Her own page is told too and goes to the sign-in form; signing in before it has would race that navigation.
  await expect(page).toHaveURL(/\/signin/, { timeout: 20_000 });

  // Back in with her code, sockets open again; removed, they close.
  await signIn.asAttendee("Sophie Germain", email, undefined, code);
  await expect(page).toHaveURL(/\/labs\//);
  const again = await openSockets();
  await row.getByRole("button", { name: "Remove" }).click();
  const removedClosed = closedWithin(again, 20_000);
  await row.getByRole("button", { name: "Yes, remove Sophie Germain" }).click();
  await expect(facilitatorPage.getByRole("status").filter({ hasText: "Removed Sophie Germain" })).toBeVisible();
  await removedClosed;
});
