import { randomUUID } from "node:crypto";
import https from "node:https";
import tls from "node:tls";
import path from "node:path";
import { test as base, chromium, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { CaddyFront } from "./support/caddy";
import { uniqueEmail } from "./support/fixtures";
import { lookupAs, signInFrom, type TlsRoute } from "./support/http";
import { runInNewKernel } from "./support/kernel";
import { attendee } from "./support/people";
import { FACILITATOR_PASSWORD, freePort, freshDataDir, PortalServer } from "./support/portal-server";

// The portal as a host runs it (deploy/install.sh): behind Debian's Caddy on https, with the
// installer's own site blocks, NEXTAUTH_URL on https, Caddy the one trusted proxy, and the
// content origin on per-environment subdomains behind the same Caddy. Only loopback is used:
// Chromium maps *.workshop.test to 127.0.0.1, and Caddy listens on 127.0.0.1 alone.
//
// How the browser trusts Caddy's CA: Chromium is told the public key of Caddy's intermediate
// CA (--ignore-certificate-errors-spki-list), so exactly the certificates Caddy's own CA made are
// accepted, and a broken or foreign chain still fails. `ignoreHTTPSErrors` would accept anything;
// importing the root into an NSS database would need certutil and a $HOME for Chromium. Node's
// clients verify against Caddy's root certificate itself.

const HOST = "portal.workshop.test";
const CONTENT = "content.workshop.test";

interface Front {
  portal: PortalServer;
  caddy: CaddyFront;
  browser: Browser;
  /** The portal's own port, over plain http, under the same name as the https site. */
  plainUrl: string;
  tls: TlsRoute;
}

interface Room {
  context: BrowserContext;
  env: EnvironmentPage;
  envId: string;
}

const test = base.extend<object, { front: Front; room: Room }>({
  front: [
    async ({}, use, workerInfo) => {
      const dataDir = freshDataDir("behind-tls");
      const httpsPort = await freePort();
      const httpPort = await freePort();
      const portal = new PortalServer(dataDir, {
        NEXTAUTH_URL: `https://${HOST}:${httpsPort}`,
        PORTAL_TRUSTED_PROXIES: "127.0.0.1",
        PORTAL_CONTENT_DOMAIN: `${CONTENT}:${httpsPort}`,
      });
      const portalPort = () => Number(new URL(portal.url).port);
      let caddy: CaddyFront | undefined;
      let browser: Browser | undefined;
      try {
        await portal.start();
        caddy = new CaddyFront(path.join(dataDir, "caddy"), {
          hostname: HOST,
          portalPort: portalPort(),
          contentDomain: `${CONTENT}:${httpsPort}`,
          contentPort: portal.contentPort,
          httpsPort,
          httpPort,
        });
        await caddy.start();
        const launch = workerInfo.project.use.launchOptions ?? {};
        browser = await chromium.launch({
          ...launch,
          args: [...(launch.args ?? []), "--host-resolver-rules=MAP *.workshop.test 127.0.0.1", `--ignore-certificate-errors-spki-list=${caddy.intermediateSpki()}`],
        });
        await use({ portal, caddy, browser, plainUrl: `http://${HOST}:${portalPort()}`, tls: { address: "127.0.0.1", ca: caddy.rootPem } });
      } finally {
        await browser?.close();
        await caddy?.stop();
        await portal.stop();
      }
    },
    // Its own budget: a portal, Caddy and a browser start here, on a machine other runs share.
    { scope: "worker", timeout: 120_000 },
  ],
  // One environment, deployed by the first test that asks for it and torn down at the end.
  room: [
    async ({ front }, use) => {
      const { context, env } = await attendee(front.browser, front.caddy.portalUrl, "Ada Behind TLS");
      const envId = await env.deployReady();
      await use({ context, env, envId });
      await env.goto();
      await env.teardown();
      await expect(env.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
      await context.close();
    },
    // A deploy until the notebook answers, and the teardown, each allowed what EnvironmentPage allows.
    { scope: "worker", timeout: 300_000 },
  ],
});

/** What /api/auth/session says to this page's browser at `origin`: empty when no session cookie went with it. */
async function sessionAt(page: Page, origin: string): Promise<{ user?: { name?: string } }> {
  await page.goto(`${origin}/api/auth/session`);
  return JSON.parse((await page.locator("body").textContent()) ?? "{}") as { user?: { name?: string } };
}

interface EventStream {
  /** The events received so far, each as its text block (`id:`, `event:`, `data:` lines). */
  events: string[];
  open: boolean;
  close(): void;
}

/** An SSE stream opened through Caddy, collecting its events as they arrive. */
function openEvents(url: string, cookie: string, tls: TlsRoute): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { headers: { cookie, accept: "text/event-stream" }, ca: tls.ca, lookup: lookupAs(tls.address) }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`the stream answered ${res.statusCode}`));
      let pending = "";
      res.on("close", () => (stream.open = false));
      res.setEncoding("utf8").on("data", (chunk: string) => {
        const blocks = (pending + chunk).split("\n\n");
        pending = blocks.pop() ?? "";
        stream.events.push(...blocks.filter((block) => /^event: /m.test(block)));
      });
      resolve(stream);
    });
    const stream: EventStream = { events: [], open: true, close: () => req.destroy() };
    req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
  });
}

test("signing in over https sets a Secure session cookie, which plain http neither gets nor sends", async ({ front }) => {
  const { context, page } = await attendee(front.browser, front.caddy.portalUrl, "Ada Secure");
  const labs = await page.reload();
  expect(labs?.headers()["strict-transport-security"]).toBe("max-age=31536000");
  const session = (await context.cookies()).find((c) => c.name.endsWith("next-auth.session-token"));
  expect(session).toMatchObject({ name: "__Secure-next-auth.session-token", secure: true, httpOnly: true, domain: HOST });
  expect((await sessionAt(page, front.caddy.portalUrl)).user?.name).toBe("Ada Secure");

  // The same cookie jar in a browser that has not met the https site (so HSTS does not turn
  // http into https for it): on the portal's own port over plain http, the session is not sent.
  const plain = await front.browser.newContext({ storageState: await context.storageState() });
  expect(await sessionAt(await plain.newPage(), front.plainUrl)).toEqual({});
  await Promise.all([context.close(), plain.close()]);

  // Signing in on plain http leaves no session: the portal's cookies are Secure, so the browser drops them.
  const direct = await front.browser.newContext({ baseURL: front.plainUrl });
  const directPage = await direct.newPage();
  const callback = directPage.waitForResponse((r) => r.url().includes("/api/auth/callback/attendee"));
  await new SignInPage(directPage).asAttendee("Ada Plain", uniqueEmail("ada-plain"));
  await callback;
  expect((await direct.cookies()).map((c) => c.name)).not.toContainEqual(expect.stringContaining("session-token"));
  expect(await sessionAt(directPage, front.plainUrl)).toEqual({});
  await direct.close();
});

test("an environment's live logs arrive over SSE through Caddy as they are written", async ({ front, room }) => {
  // Deployed through Caddy: the page followed the stack to CREATE_COMPLETE on its live stream.
  await expect(room.env.logLines().filter({ hasText: "Scheduler at:" })).toHaveCount(1);

  // A stream of the test's own through Caddy, held open while a new worker starts: the worker's
  // log line arrives on it (and on the page, with no reload) while the stream stays open.
  const cookie = (await room.context.cookies(front.caddy.portalUrl)).map((c) => `${c.name}=${c.value}`).join("; ");
  const stream = await openEvents(`${front.caddy.portalUrl}/api/environments/${room.envId}/events`, cookie, front.tls);
  const registered = () => stream.events.filter((e) => /^event: log$/m.test(e) && e.includes("Register worker")).length;
  await expect.poll(registered).toBe(2);
  await room.env.scale("3");
  await expect(room.env.tasks("worker", "RUNNING")).toHaveCount(3);
  await expect(room.env.logLines().filter({ hasText: "Register worker" })).toHaveCount(3);
  await expect.poll(registered).toBe(3);
  expect(stream.open).toBe(true);
  stream.close();
});

test("a notebook kernel runs code over its WebSocket through Caddy and the content origin", async ({ front, room }) => {
  const lab = await room.context.newPage();
  const sockets: string[] = [];
  lab.on("websocket", (ws) => sockets.push(ws.url()));
  const notebook = `/environments/${room.envId}/notebook`;
  const content = `https://${room.envId}.${CONTENT}:${front.caddy.sites.httpsPort}`;
  await lab.goto(notebook);
  await expect(lab).toHaveURL(`${content}${notebook}/lab/tree/era5-analysis.ipynb`);

  const printed = await runInNewKernel(lab, notebook, "import os\nfrom distributed import Client\nwith Client(os.environ['DASK_SCHEDULER_ADDRESS']) as client:\n    print(client.submit(sum, [20, 22]).result())");
  expect(printed.trim()).toBe("42");
  expect(sockets).toContainEqual(expect.stringMatching(new RegExp(`^wss://${room.envId}\\.${CONTENT.replaceAll(".", "\\.")}:\\d+${notebook}/api/kernels/[0-9a-f-]+/channels`)));
  await lab.close();
});

/** Whether Caddy completes a TLS handshake for `servername` with a certificate its own root vouches for. */
function handshake(front: Front, servername: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port: front.caddy.sites.httpsPort, servername, ca: front.caddy.rootPem }, () => {
      const ok = socket.authorized;
      socket.end();
      resolve(ok);
    });
    socket.on("error", () => resolve(false));
    socket.setTimeout(30_000, () => socket.destroy());
  });
}

test("Caddy makes a content certificate only for an environment's host, as the portal answers its question", async ({ front, room }) => {
  // The question as Caddy asks it: straight to the portal, before the first handshake for a name.
  const ask = (domain: string) => fetch(`http://127.0.0.1:${new URL(front.portal.url).port}/api/internal/content-host?domain=${domain}`).then((r) => r.status);
  const own = `${room.envId}.${CONTENT}`;
  const invented = `${randomUUID()}.${CONTENT}`;
  expect(await ask(own)).toBe(200);
  expect(await ask(invented)).toBe(404);
  expect(await handshake(front, own)).toBe(true);
  expect(await handshake(front, invented)).toBe(false);
});

test("the sign-in limit counts the browser's own address, as Caddy's X-Forwarded-For gives it", async ({ front }) => {
  const url = front.caddy.portalUrl;
  // 127.0.0.2 guesses the facilitator's password and claims to be 127.0.0.3; Caddy replaces the
  // claim with the address it sees, and the portal believes Caddy (PORTAL_TRUSTED_PROXIES).
  const errors: string[] = [];
  for (let i = 0; i < 6; i++) {
    const attempt = await signInFrom("127.0.0.2", url, "facilitator", { password: `wrong-${i}` }, { "X-Forwarded-For": "127.0.0.3" }, front.tls);
    errors.push(attempt.error ?? "signed in");
  }
  expect(errors.slice(0, 5), errors.join("\n")).not.toContainEqual(expect.stringMatching(/^Too many|signed in/));
  expect(errors[5]).toMatch(/^Too many wrong attempts/);
  expect((await signInFrom("127.0.0.2", url, "facilitator", { password: FACILITATOR_PASSWORD }, {}, front.tls)).error).toMatch(/^Too many wrong attempts/);
  // Everyone reaches the portal from Caddy's 127.0.0.1, yet 127.0.0.3 is not held back for 127.0.0.2's guesses.
  expect(await signInFrom("127.0.0.3", url, "facilitator", { password: FACILITATOR_PASSWORD }, {}, front.tls)).toEqual({ ok: true });
});
