import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { freePort, freshDataDir, PortalServer } from "./support/portal-server";

// A local environment's JupyterLab and Dask dashboard, opened from "another computer": the
// browser knows the portal as 127.0.0.2 while the environment's processes listen on
// 127.0.0.1, so anything not served through the portal's own origin would fail here.

/** Runs `code` in a new kernel of the notebook server at `base`, from the page, over the portal: its stdout. */
async function runInNewKernel(page: Page, base: string, code: string): Promise<string> {
  return page.evaluate(
    async ({ base, code }) => {
      const xsrf = /(?:^|; )_xsrf=([^;]*)/.exec(document.cookie)?.[1] ?? "";
      const started = await fetch(`${base}/api/kernels`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-XSRFToken": decodeURIComponent(xsrf) },
        body: JSON.stringify({ name: "python3" }),
      });
      if (!started.ok) throw new Error(`starting a kernel answered ${started.status}`);
      const kernel = (await started.json()) as { id: string };
      const socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}${base}/api/kernels/${kernel.id}/channels`);
      const msgId = crypto.randomUUID();
      const output = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        socket.onerror = () => reject(new Error("the kernel's WebSocket failed"));
        socket.onopen = () =>
          socket.send(
            JSON.stringify({
              header: { msg_id: msgId, msg_type: "execute_request", username: "e2e", session: crypto.randomUUID(), version: "5.3", date: new Date().toISOString() },
              parent_header: {},
              metadata: {},
              content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
              channel: "shell",
              buffers: [],
            }),
          );
        socket.onmessage = (event) => {
          const msg = JSON.parse(String(event.data));
          if (msg.parent_header?.msg_id !== msgId) return;
          if (msg.msg_type === "stream") stdout += msg.content.text;
          if (msg.msg_type === "error") reject(new Error(`${msg.content.ename}: ${msg.content.evalue}`));
          // Idle after the request: every output of it has arrived.
          if (msg.msg_type === "status" && msg.content.execution_state === "idle") resolve(stdout);
        };
      });
      socket.close();
      await fetch(`${base}/api/kernels/${kernel.id}`, { method: "DELETE", headers: { "X-XSRFToken": decodeURIComponent(xsrf) } });
      return output;
    },
    { base, code },
  );
}

/** Whether a WebSocket to `path` on the page's origin opens (true) or is refused (false). */
function webSocketOpens(page: Page, path: string): Promise<boolean> {
  return page.evaluate(
    (path) =>
      new Promise<boolean>((resolve) => {
        const socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}${path}`);
        socket.onopen = () => {
          socket.close();
          resolve(true);
        };
        socket.onerror = () => resolve(false);
      }),
    path,
  );
}

test("an attendee's notebook and dashboard open through the portal's origin, and only for whom they belong to", async ({ browser }) => {
  test.setTimeout(300_000);
  const port = await freePort();
  const origin = `http://127.0.0.2:${port}`;
  const portal = new PortalServer(freshDataDir("proxy"), { NEXTAUTH_URL: origin });
  portal.url = `http://localhost:${port}`;
  await portal.start();
  try {
    const adaContext = await browser.newContext({ baseURL: origin });
    const ada = await adaContext.newPage();
    const requested: string[] = [];
    const sockets: string[] = [];
    ada.on("request", (r) => requested.push(r.url()));
    ada.on("websocket", (ws) => sockets.push(ws.url()));
    await new SignInPage(ada).asAttendee("Ada Proxy", uniqueEmail("ada-proxy"));
    await expect(ada).toHaveURL(/\/labs\//);
    const environment = new EnvironmentPage(ada);
    const envId = await environment.deployReady();
    const notebook = `/environments/${envId}/notebook`;
    const dashboard = `/environments/${envId}/dashboard`;
    await expect(ada.getByTestId("dashboard-link")).toHaveAttribute("href", `${dashboard}/status`);

    // The notebook: JupyterLab loads under the portal's path and opens the workshop notebook.
    await ada.goto(notebook);
    await expect(ada).toHaveURL(`${origin}${notebook}/lab/tree/era5-analysis.ipynb`);
    await expect(ada.locator(".jp-NotebookPanel").first()).toBeVisible({ timeout: 60_000 });
    expect(await ada.content()).not.toMatch(/token=/);
    // A kernel started through the portal computes on Ada's own cluster, and the dashboard
    // link it prints is the portal's path.
    const printed = await runInNewKernel(
      ada,
      notebook,
      "import os\nfrom distributed import Client\nclient = Client(os.environ['DASK_SCHEDULER_ADDRESS'])\nprint(client.submit(sum, [1, 2, 3]).result(), client.dashboard_link)\nclient.close()",
    );
    expect(printed.trim()).toBe(`6 ${dashboard}/status`);

    // The dashboard: its page and its live Bokeh WebSocket, through the portal.
    const bokeh = ada.waitForEvent("websocket", (ws) => ws.url().includes(`${dashboard}/status/ws`));
    await ada.goto(`${dashboard}/status`);
    await (await bokeh).waitForEvent("framereceived");

    // Everything the browser asked for, pages, scripts, kernels and Bokeh, went to the portal.
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(requested.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(sockets.filter((u) => new URL(u).origin !== origin.replace(/^http/, "ws"))).toEqual([]);

    // Another attendee: A's notebook and dashboard are as missing as an environment that never was.
    const bobContext = await browser.newContext({ baseURL: origin });
    const bob = await bobContext.newPage();
    await new SignInPage(bob).asAttendee("Bob Proxy", uniqueEmail("bob-proxy"));
    await expect(bob).toHaveURL(/\/labs\//);
    const missing = `/environments/${randomUUID()}`;
    for (const path of [`${notebook}/api/contents`, `${dashboard}/status`, `${missing}/notebook/api/contents`, `${missing}/dashboard/status`]) {
      const res = await bob.request.get(path, { maxRedirects: 0 });
      expect(res.status(), path).toBe(404);
      expect(await res.json(), path).toEqual({ error: "Environment not found." });
    }
    expect(await webSocketOpens(bob, `${dashboard}/status/ws`), "Bob's WebSocket to A's dashboard").toBe(false);

    // The facilitator sees the dashboard, live, but not the notebook.
    const facContext = await browser.newContext({ baseURL: origin });
    const fac = await facContext.newPage();
    await new SignInPage(fac).asFacilitator();
    await expect(fac).toHaveURL(/\/facilitator/);
    const facBokeh = fac.waitForEvent("websocket", (ws) => ws.url().includes(`${dashboard}/status/ws`));
    expect((await fac.goto(`${dashboard}/status`))?.status()).toBe(200);
    await (await facBokeh).waitForEvent("framereceived");
    expect((await fac.request.get(`${notebook}/lab`, { maxRedirects: 0 })).status()).toBe(404);

    // Nobody signed in: an API call is refused, a page goes to sign-in.
    const anonymous = await browser.newContext({ baseURL: origin });
    expect((await anonymous.request.get(`${notebook}/api/contents`, { maxRedirects: 0 })).status()).toBe(401);
    const anonymousPage = await anonymous.newPage();
    await anonymousPage.goto(`${dashboard}/status`);
    await expect(anonymousPage).toHaveURL(/\/signin/);
    expect(await webSocketOpens(anonymousPage, `${dashboard}/status/ws`), "an anonymous WebSocket").toBe(false);

    await environment.goto();
    await environment.teardown();
    await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  } finally {
    await portal.stop();
  }
});
