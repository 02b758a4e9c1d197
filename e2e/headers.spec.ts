import type { Page, Response } from "@playwright/test";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";

// Every page the portal serves carries its security headers, and works under its
// Content-Security-Policy: no script, style or connection of its own is refused by the
// browser. Nothing is deployed; the pages are visited as an attendee and as the facilitator.

/** What the browser refused on this page: the violation events, and Chromium's console lines about them. */
function watchViolations(page: Page): string[] {
  const refused: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  page.on("pageerror", (error) => {
    if (/Content Security Policy/i.test(error.message)) refused.push(error.message);
  });
  // Registered before any of the page's own scripts run, on every document the page opens.
  void page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  return refused;
}

const nonces = new Set<string>();

function expectSecurityHeaders(response: Response | null) {
  expect(response, "a document response").not.toBeNull();
  const headers = response!.headers();
  const policy = headers["content-security-policy"] ?? "";
  for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"]) {
    expect(policy).toContain(directive);
  }
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  expect(nonce, "a nonce in script-src").toBeTruthy();
  // A fresh nonce for every response: one seen before would let an old page's script in.
  expect(nonces.has(nonce!)).toBe(false);
  nonces.add(nonce!);
  expect(policy).not.toContain("'unsafe-inline' 'strict-dynamic'");
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
}

test.describe("security headers and the Content-Security-Policy", () => {
  test("the sign-in page, the labs and My environment work for an attendee with nothing refused", async ({ page, signIn }) => {
    const refused = watchViolations(page);
    expectSecurityHeaders(await page.goto("/signin"));
    await expect(page.getByTestId("signin-attendee")).toBeVisible();

    await signIn.asAttendee("Header Reader", uniqueEmail("headers"));
    await expect(page).toHaveURL(/\/labs\/01-/);
    expectSecurityHeaders(await page.reload());

    // A click that needs the page's scripts (a server action): hydration ran under the policy.
    const done = page.getByTestId("lab-done");
    await done.click();
    await expect(done).toHaveAttribute("aria-pressed", "true");

    await page.getByRole("link", { name: /build and push/i }).first().click();
    await expect(page).toHaveURL(/\/labs\/02-/);
    expectSecurityHeaders(await page.reload());

    expectSecurityHeaders(await page.goto("/environment"));
    await expect(page.getByTestId("deploy-button")).toBeVisible();

    expectSecurityHeaders(await page.goto("/facilitator"));
    expect(refused).toEqual([]);
  });

  test("the facilitator's room works with nothing refused", async ({ browser, portal }) => {
    const context = await browser.newContext({ baseURL: portal.url });
    const page = await context.newPage();
    const refused = watchViolations(page);
    await new SignInPage(page).asFacilitator();
    await expect(page).toHaveURL(/\/facilitator/);
    expectSecurityHeaders(await page.reload());
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    // The room's live stream (EventSource, under connect-src) opens, and a server action runs.
    await expect(page.getByTestId("room-connection")).toHaveText("● live");
    await page.getByTestId("announce-input").fill("Headers checked.");
    await page.getByTestId("announce-submit").click();
    await expect(page.getByText("Sent to every attendee.")).toBeVisible();
    expect(refused).toEqual([]);
    await context.close();
  });

  test("the health check and a refused API call carry the headers too", async ({ request }) => {
    const health = await request.get("/api/health");
    expect(health.headers()["x-content-type-options"]).toBe("nosniff");
    expect(health.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    const refused = await request.get("/api/facilitator/events");
    expect(refused.status()).toBe(401);
    expect(refused.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  });
});
