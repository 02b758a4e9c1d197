import { randomUUID } from "node:crypto";
import type { APIRequestContext } from "@playwright/test";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { runInNewKernel, webSocketOpens } from "./support/kernel";
import { freePort, freshDataDir, PortalServer } from "./support/portal-server";

// A local environment's JupyterLab and Dask dashboard, opened from "another computer" (the
// browser knows the portal as 127.0.0.2 while the environment's servers listen on Unix
// sockets in a network namespace of their own): they are served on the content origin, the
// same host on PORTAL_CONTENT_PORT, never on the portal's origin and never on a port of
// their own, and only to whom they belong, through a one-time ticket.

/**
 * The portal's ticket for `who`, as when the content origin sent their browser back with its
 * state (`state`, which that browser holds as the content origin's `portal-handoff-<kind>` cookie).
 */
async function ticketFor(who: APIRequestContext, portalPath: string, state: string, path: string): Promise<string> {
  const answered = await who.get(`${portalPath}?${new URLSearchParams({ state, path })}`, { maxRedirects: 0 });
  expect(answered.status()).toBe(303);
  const ticket = answered.headers()["location"];
  expect(ticket).toMatch(/\/environments\/[0-9a-f-]{36}\/handoff\?ticket=/);
  return ticket;
}

const stateCookie = (state: string) => ({ cookie: `portal-handoff-notebook=${state}` });

test("an attendee's notebook and dashboard open on the content origin, through a one-time ticket, and only for whom they belong to", async ({ browser }) => {
  test.setTimeout(300_000);
  const port = await freePort();
  const origin = `http://127.0.0.2:${port}`;
  const portal = new PortalServer(freshDataDir("proxy"), { NEXTAUTH_URL: origin });
  portal.url = `http://localhost:${port}`;
  await portal.start();
  const content = portal.contentOrigin(origin);
  try {
    const adaContext = await browser.newContext({ baseURL: origin });
    const ada = await adaContext.newPage();
    const requested: string[] = [];
    const sockets: string[] = [];
    adaContext.on("request", (r) => requested.push(r.url()));
    adaContext.on("page", (p) => p.on("websocket", (ws) => sockets.push(ws.url())));
    ada.on("websocket", (ws) => sockets.push(ws.url()));
    await new SignInPage(ada).asAttendee("Ada Proxy", uniqueEmail("ada-proxy"));
    await expect(ada).toHaveURL(/\/labs\//);
    const environment = new EnvironmentPage(ada);
    const envId = await environment.deployReady();
    const notebook = `/environments/${envId}/notebook`;
    const dashboard = `/environments/${envId}/dashboard`;
    await expect(ada.getByTestId("notebook-link")).toHaveAttribute("href", notebook);
    await expect(ada.getByTestId("dashboard-link")).toHaveAttribute("href", dashboard);

    // The notebook: "Open the notebook" leads to JupyterLab on the content origin, with the workshop notebook.
    const [lab] = await Promise.all([adaContext.waitForEvent("page"), ada.getByTestId("notebook-link").click()]);
    await expect(lab).toHaveURL(`${content}${notebook}/lab/tree/era5-analysis.ipynb`);
    await expect(lab.locator(".jp-NotebookPanel").first()).toBeVisible({ timeout: 60_000 });
    expect(await lab.content()).not.toMatch(/token=/);
    // The portal's session cookie is on the portal's origin only as far as scripts go; the content origin's is its own.
    expect(await lab.evaluate(() => document.cookie)).not.toMatch(/next-auth|portal-content/);
    // A kernel started through the content origin computes on Ada's own cluster, and the dashboard
    // link it prints is the content origin's path.
    const printed = await runInNewKernel(
      lab,
      notebook,
      "import os\nfrom distributed import Client\nclient = Client(os.environ['DASK_SCHEDULER_ADDRESS'])\nprint(client.submit(sum, [1, 2, 3]).result(), client.dashboard_link)\nclient.close()",
    );
    expect(printed.trim()).toBe(`6 ${dashboard}/status`);

    // The dashboard: its page and its live Bokeh WebSocket, on the content origin.
    const board = await adaContext.newPage();
    const bokeh = board.waitForEvent("websocket", (ws) => ws.url().includes(`${dashboard}/status/ws`));
    await board.goto((await ada.getByTestId("dashboard-link").getAttribute("href"))!);
    await expect(board).toHaveURL(`${content}${dashboard}/status`);
    await (await bokeh).waitForEvent("framereceived");

    // Everything the browser asked for, pages, scripts, kernels and Bokeh, went to the portal or the content origin.
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(requested.filter((u) => ![origin, content].includes(new URL(u).origin))).toEqual([]);
    expect(sockets.filter((u) => new URL(u).origin !== content.replace(/^http/, "ws"))).toEqual([]);

    // A ticket is good once, in the browser that asked for it; otherwise it is as missing as an environment that never was.
    const missingEnv = await adaContext.request.get(`${content}/environments/${randomUUID()}/handoff?ticket=x`, { maxRedirects: 0 });
    expect(missingEnv.status()).toBe(404);
    const notFound = await missingEnv.json();
    const ticket = await ticketFor(adaContext.request, notebook, "adas-state", `${notebook}/lab`);
    expect(ticket.startsWith(`${content}/`)).toBe(true);
    const taken = await adaContext.request.get(ticket, { maxRedirects: 0, headers: stateCookie("adas-state") });
    expect(taken.status()).toBe(303);
    expect(taken.headers()["location"]).toBe(`${notebook}/lab`);
    const replayed = await adaContext.request.get(ticket, { maxRedirects: 0, headers: stateCookie("adas-state") });
    expect([replayed.status(), await replayed.json()]).toEqual([404, notFound]);

    // Another attendee: A's notebook and dashboard are as missing as an environment that never was.
    const bobContext = await browser.newContext({ baseURL: origin });
    const bob = await bobContext.newPage();
    await new SignInPage(bob).asAttendee("Bob Proxy", uniqueEmail("bob-proxy"));
    await expect(bob).toHaveURL(/\/labs\//);
    // A ticket carried off to another browser is worth nothing there, whatever state that browser holds.
    const carriedOff = await ticketFor(adaContext.request, notebook, "adas-other-state", `${notebook}/lab`);
    const byBob = await bobContext.request.get(carriedOff, { maxRedirects: 0, headers: stateCookie("bobs-state") });
    expect([byBob.status(), await byBob.json()]).toEqual([404, notFound]);
    const missing = `/environments/${randomUUID()}`;
    for (const path of [`${notebook}/lab`, `${dashboard}/status`, `${missing}/notebook/lab`, `${missing}/dashboard/status`]) {
      const res = await bob.goto(`${content}${path}`);
      expect(res?.status(), path).toBe(404);
      await expect(bob.getByTestId("opening-error"), path).toHaveText("Environment not found.");
    }
    // Without a content session of its own, no script of Bob's gets in, whichever environment.
    for (const path of [`${notebook}/api/contents`, `${missing}/notebook/api/contents`]) {
      expect((await bobContext.request.get(`${content}${path}`, { maxRedirects: 0 })).status(), path).toBe(401);
    }
    await bob.goto(`${content}/`);
    expect(await webSocketOpens(bob, `${dashboard}/status/ws`), "Bob's WebSocket to A's dashboard").toBe(false);

    // The facilitator sees the dashboard, live, but not the notebook.
    const facContext = await browser.newContext({ baseURL: origin });
    const fac = await facContext.newPage();
    await new SignInPage(fac).asFacilitator();
    await expect(fac).toHaveURL(/\/facilitator/);
    const facBokeh = fac.waitForEvent("websocket", (ws) => ws.url().includes(`${dashboard}/status/ws`));
    expect((await fac.goto(dashboard))?.status()).toBe(200);
    await expect(fac).toHaveURL(`${content}${dashboard}/status`);
    await (await facBokeh).waitForEvent("framereceived");
    expect((await facContext.request.get(`${origin}${notebook}`, { maxRedirects: 0 })).status()).toBe(403);
    // Its content session is for the dashboard: the notebook is as missing as ever.
    expect((await facContext.request.get(`${content}${notebook}/api/contents`, { maxRedirects: 0 })).status()).toBe(404);

    // Nobody signed in: a script's request is refused, a page goes through the portal to sign in.
    const anonymous = await browser.newContext({ baseURL: origin });
    expect((await anonymous.request.get(`${content}${notebook}/api/contents`, { maxRedirects: 0 })).status()).toBe(401);
    const anonymousPage = await anonymous.newPage();
    await anonymousPage.goto(`${content}${dashboard}/status`);
    await expect(anonymousPage).toHaveURL(/\/signin/);
    await anonymousPage.goto(`${content}/`);
    expect(await webSocketOpens(anonymousPage, `${dashboard}/status/ws`), "an anonymous WebSocket").toBe(false);

    await environment.goto();
    await environment.teardown();
    await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  } finally {
    await portal.stop();
  }
});
