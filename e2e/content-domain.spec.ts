import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { freePort, freshDataDir, PortalServer } from "./support/portal-server";

// The content origin with PORTAL_CONTENT_DOMAIN: each environment on a subdomain of its own.
// Chromium sends every *.localhost name to loopback, so `<id>.content.localhost` stands in for
// `<id>.content.example.org` behind a wildcard DNS record, with no resolver and no packet off
// this machine.

test("with PORTAL_CONTENT_DOMAIN each environment's notebook and dashboard open on a subdomain of their own", async ({ browser }) => {
  test.setTimeout(240_000);
  const contentPort = await freePort();
  const portal = new PortalServer(freshDataDir("content-domain"), { PORTAL_CONTENT_DOMAIN: `content.localhost:${contentPort}`, PORTAL_CONTENT_PORT: String(contentPort) });
  await portal.start();
  try {
    const context = await browser.newContext({ baseURL: portal.url });
    const page = await context.newPage();
    const requested: string[] = [];
    context.on("request", (r) => requested.push(new URL(r.url()).origin));
    await new SignInPage(page).asAttendee("Ada Domain", uniqueEmail("ada-domain"));
    await expect(page).toHaveURL(/\/labs\//);
    const environment = new EnvironmentPage(page);
    const envId = await environment.deployReady();
    const own = `http://${envId}.content.localhost:${contentPort}`;

    const [lab] = await Promise.all([context.waitForEvent("page"), page.getByTestId("notebook-link").click()]);
    await expect(lab).toHaveURL(`${own}/environments/${envId}/notebook/lab/tree/era5-analysis.ipynb`);
    await expect(lab.locator(".jp-NotebookPanel").first()).toBeVisible({ timeout: 60_000 });

    const board = await context.newPage();
    const bokeh = board.waitForEvent("websocket", (ws) => ws.url().startsWith(`${own.replace(/^http/, "ws")}/environments/${envId}/dashboard/status/ws`));
    await board.goto(`/environments/${envId}/dashboard`);
    await expect(board).toHaveURL(`${own}/environments/${envId}/dashboard/status`);
    await (await bokeh).waitForEvent("framereceived");

    // Another environment's subdomain does not serve this one's paths.
    const elsewhere = await board.goto(`http://cccccccc-0000-4000-8000-00000000000c.content.localhost:${contentPort}/environments/${envId}/notebook/lab`);
    expect(elsewhere?.status()).toBe(404);
    expect([...new Set(requested)].filter((o) => !o.startsWith("http://cccccccc-")).sort()).toEqual([portal.url, own].sort());

    await environment.goto();
    await environment.teardown();
    await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
    await context.close();
  } finally {
    await portal.stop();
  }
});
