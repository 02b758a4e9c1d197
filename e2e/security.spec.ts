import fs from "node:fs";
import path from "node:path";
import { test as base, expect, type APIRequestContext, type BrowserContext } from "@playwright/test";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { uniqueEmail } from "./support/fixtures";
import { cookieHeader, httpClient, open, probe, signInFrom, signInOverHttp, type Opened } from "./support/http";
import { FACILITATOR_PASSWORD, freshDataDir, JOIN_CODE, PortalServer } from "./support/portal-server";

// Issue 14's acceptance suite, over HTTP: who may open what (every route, for the four
// kinds of visitor), and three regressions: the sign-in callback stays on the portal, a
// forged X-Forwarded-For neither escapes nor turns the sign-in limit against someone
// else, and one attendee cannot open streams without end.

const STREAMS_PER_USER = 8;

interface Room {
  envId: string;
  /** Attendee A: signed in through the browser, deployed one environment. */
  aBrowser: BrowserContext;
  a: APIRequestContext;
  b: APIRequestContext;
  facilitator: APIRequestContext;
}

// The portal and the room are per worker and lazy: the regression tests that need no
// environment never deploy one.
const test = base.extend<object, { portal: PortalServer; room: Room }>({
  portal: [
    async ({}, use) => {
      const server = new PortalServer(freshDataDir("security"), { PORTAL_STREAMS_PER_USER: String(STREAMS_PER_USER) });
      await server.start();
      await use(server);
      await server.stop();
    },
    { scope: "worker" },
  ],
  room: [
    async ({ portal, browser }, use) => {
      const aBrowser = await browser.newContext({ baseURL: portal.url });
      const page = await aBrowser.newPage();
      await new SignInPage(page).asAttendee("Attendee A", uniqueEmail("a"));
      await expect(page).toHaveURL(/\/labs\//);
      const envId = await new EnvironmentPage(page).deployReady();
      // No page of A's stays open: its streams would count against A's own cap.
      await page.close();

      const b = await httpClient(portal.url);
      expect(await signInOverHttp(b, "attendee", { name: "Attendee B", email: uniqueEmail("b"), code: JOIN_CODE })).toEqual({ ok: true });
      const facilitator = await httpClient(portal.url);
      expect(await signInOverHttp(facilitator, "facilitator", { password: FACILITATOR_PASSWORD })).toEqual({ ok: true });

      await use({ envId, aBrowser, a: aBrowser.request, b, facilitator });

      const again = new EnvironmentPage(await aBrowser.newPage());
      await again.goto();
      await again.teardown();
      await expect(again.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
      await aBrowser.close();
      await b.dispose();
      await facilitator.dispose();
    },
    { scope: "worker" },
  ],
});

type Who = "anonymous" | "A" | "B" | "facilitator";
const WHO: Who[] = ["anonymous", "A", "B", "facilitator"];

/**
 * Each cell: the status, and for a redirect the path it leads to ("307 /signin"). `:env`
 * stands for A's environment id, `:lab` for the first lab. Pages a visitor may not see
 * redirect (to sign in, or to where that visitor belongs) or answer 403; APIs answer
 * 401/403 JSON; someone else's environment is 404, as if it did not exist.
 */
const LAB = "01-set-up-your-tools";
// prettier-ignore
const MATRIX: Record<string, { probe: string } & Record<Who, string>> = {
  // route (as under app/, groups dropped)  probe path                            anonymous       A                       B                       facilitator
  "/":                              { probe: "/",                              anonymous: "307 /signin", A: "307 /labs",          B: "307 /labs",          facilitator: "307 /facilitator" },
  "/signin":                        { probe: "/signin",                        anonymous: "200",         A: "307 /labs",          B: "307 /labs",          facilitator: "307 /facilitator" },
  "/forbidden":                     { probe: "/forbidden",                     anonymous: "200",         A: "200",                B: "200",                facilitator: "200" },
  "/labs":                          { probe: "/labs",                          anonymous: "307 /signin", A: `307 /labs/${LAB}`,   B: `307 /labs/${LAB}`,   facilitator: `307 /labs/${LAB}` },
  "/labs/[slug]":                   { probe: `/labs/${LAB}`,                   anonymous: "307 /signin", A: "200",                B: "200",                facilitator: "200" },
  "/environment":                   { probe: "/environment",                   anonymous: "307 /signin", A: "200",                B: "200",                facilitator: "307 /facilitator" },
  "/facilitator":                   { probe: "/facilitator",                   anonymous: "307 /signin", A: "403",                B: "403",                facilitator: "200" },
  "/facilitator/attendees":         { probe: "/facilitator/attendees",         anonymous: "307 /signin", A: "403",                B: "403",                facilitator: "200" },
  "/facilitator/audit":             { probe: "/facilitator/audit",             anonymous: "307 /signin", A: "403",                B: "403",                facilitator: "200" },
  "/facilitator/environments/[id]": { probe: "/facilitator/environments/:env", anonymous: "307 /signin", A: "403",                B: "403",                facilitator: "200" },
  "/environments/[id]/notebook":    { probe: "/environments/:env/notebook",    anonymous: "307 /signin", A: "303",                B: "404",                facilitator: "403" },
  "/environments/[id]/dashboard":   { probe: "/environments/:env/dashboard",   anonymous: "307 /signin", A: "303",                B: "404",                facilitator: "303" },
  // Only where proxy.ts sends a refused cross-origin change (a POST): nothing answers a GET.
  "/api/internal/cross-origin":     { probe: "/api/internal/cross-origin",     anonymous: "401",         A: "405",                B: "405",                facilitator: "405" },
  // Caddy's question before an on-demand certificate: this portal has no content domain, so no name is its own.
  "/api/internal/content-host":     { probe: "/api/internal/content-host?domain=x", anonymous: "404", A: "404",           B: "404",                facilitator: "404" },
  "/api/health":                    { probe: "/api/health",                    anonymous: "200",         A: "200",                B: "200",                facilitator: "200" },
  "/api/auth/[...nextauth]":        { probe: "/api/auth/session",              anonymous: "200",         A: "200",                B: "200",                facilitator: "200" },
  "/api/attendee/events":           { probe: "/api/attendee/events",           anonymous: "401",         A: "200",                B: "200",                facilitator: "403" },
  "/api/environments/[id]/events":  { probe: "/api/environments/:env/events",  anonymous: "401",         A: "200",                B: "404",                facilitator: "200" },
  "/api/facilitator/events":        { probe: "/api/facilitator/events",        anonymous: "401",         A: "403",                B: "403",                facilitator: "200" },
  "/api/facilitator/audit":         { probe: "/api/facilitator/audit",         anonymous: "401",         A: "403",                B: "403",                facilitator: "200" },
  // The local provider builds no image (it runs the .venv): the facilitator is told so with a 404.
  "/api/facilitator/image-build/events": { probe: "/api/facilitator/image-build/events", anonymous: "401", A: "403",      B: "403",                facilitator: "404" },
  "/api/facilitator/rehearsal/events": { probe: "/api/facilitator/rehearsal/events", anonymous: "401", A: "403",        B: "403",                facilitator: "200" },
};

/** Every page and route handler under app/, as its URL pattern (route groups dropped). */
function routesUnderApp(): string[] {
  const appDir = path.join(process.cwd(), "app");
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^(page|route)\.(tsx?|jsx?)$/.test(entry.name)) {
        const segments = path
          .relative(appDir, dir)
          .split(path.sep)
          .filter((s) => s && !/^\(.*\)$/.test(s));
        found.push(`/${segments.join("/")}`);
      }
    }
  };
  walk(appDir);
  return found.sort();
}

test("the matrix has a row for every page and route handler under app/", () => {
  expect(Object.keys(MATRIX).sort(), "a route was added or removed: give it a row in MATRIX").toEqual(routesUnderApp());
});

test("every route answers each visitor as the matrix says", async ({ portal, room }) => {
  const cookies: Record<Who, string> = {
    anonymous: "",
    A: await cookieHeader(room.a),
    B: await cookieHeader(room.b),
    facilitator: await cookieHeader(room.facilitator),
  };
  const seen: string[] = [];
  const wanted: string[] = [];
  for (const [route, row] of Object.entries(MATRIX)) {
    const url = portal.url + row.probe.replace(":env", room.envId);
    for (const who of WHO) {
      const { status, location } = await probe(url, cookies[who]);
      // A redirect shows where it leads (its path; the full address if it leaves the portal).
      const target = location ? new URL(location, portal.url) : undefined;
      const where = target && status !== 303 ? ` ${target.origin === new URL(portal.url).origin ? target.pathname : target.href}` : "";
      seen.push(`${route} ${who}: ${status}${where}`);
      wanted.push(`${route} ${who}: ${row[who]}`);
    }
  }
  // One comparison, so a failure lists every cell that differs.
  expect(seen).toEqual(wanted);
});

test("A's notebook link leads to A's notebook; the refusals say why in JSON", async ({ portal, room }) => {
  const a = await probe(`${portal.url}/environments/${room.envId}/notebook`, await cookieHeader(room.a));
  expect(a.location).toBe(`${portal.contentOrigin()}/environments/${room.envId}/notebook/lab/tree/era5-analysis.ipynb`);
  const b = await open(`${portal.url}/api/environments/${room.envId}/events`, await cookieHeader(room.b));
  b.close();
  expect(b.json?.error).toBe("Environment not found.");
  const anonymous = await open(`${portal.url}/api/facilitator/audit`, "");
  anonymous.close();
  expect(anonymous.json?.error).toBe("Sign in first.");
  const attendee = await open(`${portal.url}/api/facilitator/events`, await cookieHeader(room.a));
  attendee.close();
  expect(attendee.json?.error).toMatch(/facilitator/i);
});

test("regression: one attendee's streams are capped; the next one is refused with 429 until one closes", async ({ portal, room }) => {
  const url = `${portal.url}/api/environments/${room.envId}/events`;
  const cookie = await cookieHeader(room.a);
  const streams: Opened[] = [];
  try {
    // Up to the cap, every stream opens (streams of earlier tests may take a moment to be let go).
    await expect(async () => {
      for (const s of streams.splice(0)) s.close();
      for (let i = 0; i < STREAMS_PER_USER; i++) streams.push(await open(url, cookie));
      expect(streams.map((s) => s.status)).toEqual(Array(STREAMS_PER_USER).fill(200));
    }).toPass({ timeout: 15_000 });

    const refused = await open(url, cookie);
    refused.close();
    expect(refused.status, `stream ${STREAMS_PER_USER + 1} of one attendee`).toBe(429);
    expect(typeof refused.json?.error).toBe("string");
    expect(refused.json?.error).not.toBe("");

    // Closing one makes room for a new one.
    streams.shift()?.close();
    await expect(async () => {
      const again = await open(url, cookie);
      if (again.status === 200) streams.push(again);
      else again.close();
      expect(again.status).toBe(200);
    }).toPass({ timeout: 15_000 });
  } finally {
    for (const s of streams) s.close();
  }
});

test("regression: after a real sign-in, a crafted callbackUrl keeps the browser on the portal", async ({ portal, browser }) => {
  const portalOrigin = new URL(portal.url).origin;
  for (const callback of ["/\\evil.example", "//evil.example", "https://evil.example", "/%5Cevil.example"]) {
    const context = await browser.newContext({ baseURL: portal.url });
    // Should the portal send the browser away, it lands on this stand-in instead of a DNS error.
    await context.route((url) => url.hostname === "evil.example", (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<h1>evil</h1>" }));
    const page = await context.newPage();
    await page.goto(`/signin?callbackUrl=${callback}`);
    const form = page.getByTestId("signin-attendee");
    await form.getByLabel("Your name").fill("Redirected");
    await form.getByLabel("Email").fill(uniqueEmail("redirect"));
    await form.getByLabel("Event join code").fill(JOIN_CODE);
    await form.getByRole("button", { name: /join the workshop/i }).click();
    // Wait until the browser has gone wherever the sign-in sends it.
    await page.waitForURL((url) => url.origin !== portalOrigin || !url.pathname.startsWith("/signin"));
    expect.soft(new URL(page.url()).origin, `callbackUrl=${callback} led to ${page.url()}`).toBe(portalOrigin);
    await context.close();
  }
});

test("regression: a forged X-Forwarded-For neither escapes the sign-in limit nor locks out someone else", async ({ portal }) => {
  // Each client below sends from its own loopback address; the portal sees the connection's.
  const attempts: string[] = [];
  // The attendee form allows 20 wrong attempts a minute per address (a room behind one NAT shares one).
  for (let i = 1; i <= 22; i++) {
    const attempt = await signInFrom(
      "127.0.0.3",
      portal.url,
      "attendee",
      { name: "Guesser", email: uniqueEmail("guess"), code: `WRONG-${i}` },
      { "X-Forwarded-For": `203.0.113.${i}` },
    );
    attempts.push(attempt.error ?? "signed in");
  }
  expect(attempts.slice(0, 20).every((e) => /not right/.test(e)), attempts.join("\n")).toBe(true);
  // Soft, so one run also tells whether the second half holds.
  expect.soft(attempts.slice(20), "attempts 21 and 22, each with a new X-Forwarded-For").toEqual([
    expect.stringMatching(/^Too many wrong attempts/),
    expect.stringMatching(/^Too many wrong attempts/),
  ]);
  // Even the right code waits now.
  const right = await signInFrom("127.0.0.3", portal.url, "attendee", { name: "Guesser", email: uniqueEmail("guess"), code: JOIN_CODE }, { "X-Forwarded-For": "203.0.113.99" });
  expect.soft(right.error ?? "signed in").toMatch(/^Too many wrong attempts/);

  // Someone at 127.0.0.2 pretends to be the facilitator's 127.0.0.1 (in both spellings).
  for (const forged of ["127.0.0.1", "::ffff:127.0.0.1"]) {
    for (let i = 0; i < 6; i++) await signInFrom("127.0.0.2", portal.url, "facilitator", { password: `wrong-${i}` }, { "X-Forwarded-For": forged });
  }
  expect((await signInFrom("127.0.0.2", portal.url, "facilitator", { password: "wrong" })).error).toMatch(/^Too many wrong attempts/);
  expect(await signInFrom("127.0.0.1", portal.url, "facilitator", { password: FACILITATOR_PASSWORD }), "the facilitator at 127.0.0.1").toEqual({ ok: true });
});
