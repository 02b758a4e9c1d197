import http from "node:http";
import { expect, test, uniqueEmail } from "./support/fixtures";

// The per-person cap on live streams, over real HTTP against the built portal. The
// streams are opened from the test (with the signed-in page's cookie) rather than from
// tabs: a browser holds at most six connections to one host.

interface OpenStream {
  status: number;
  json: () => Promise<{ error?: string }>;
  close: () => void;
}

function openStream(url: string, cookie: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { cookie, accept: "text/event-stream" } }, (response) => {
      let text = "";
      const ended = new Promise<void>((done) => response.on("end", done));
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      resolve({
        status: response.statusCode ?? 0,
        json: async () => {
          await ended;
          return JSON.parse(text) as { error?: string };
        },
        close: () => request.destroy(),
      });
    });
    request.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
  });
}

/**
 * Opens streams at `url` until the portal refuses one, and expects that to happen at `cap`.
 * The page the cookie came from has just left: its own stream counts until the server hears
 * it end, so the count is retried until it settles.
 */
async function fillToCap(url: string, cookie: string, cap: number): Promise<OpenStream[]> {
  const opened: OpenStream[] = [];
  await expect
    .poll(async () => {
      for (const stream of opened.splice(0)) stream.close();
      for (let tries = 0; tries < 20; tries++) {
        const stream = await openStream(url, cookie);
        if (stream.status !== 200) break;
        opened.push(stream);
      }
      return opened.length;
    })
    .toBe(cap);
  return opened;
}

test.describe("live streams", () => {
  test("one person may hold 8 streams open; one more is refused with what to do, and closing one makes room", async ({ page, signIn, portal }) => {
    await signIn.asAttendee("Tab Hoarder", uniqueEmail("tabs"));
    await expect(page).toHaveURL(/\/labs\//);
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const url = `${portal.url}/api/attendee/events`;
    await page.goto("about:blank");

    const opened = await fillToCap(url, cookie, 8);

    const refused = await openStream(url, cookie);
    expect(refused.status).toBe(429);
    expect((await refused.json()).error).toMatch(/already have 8 live portal views open.*Close the portal in other tabs/);

    opened.pop()!.close();
    await expect
      .poll(async () => {
        const again = await openStream(url, cookie);
        if (again.status === 200) opened.push(again);
        return again.status;
      })
      .toBe(200);
    for (const stream of opened) stream.close();
  });

  test("a page whose stream is refused says why, in the server's words", async ({ page, signIn, portal }) => {
    await signIn.asFacilitator();
    await expect(page).toHaveURL(/\/facilitator$/);
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    await page.goto("about:blank");
    const opened = await fillToCap(`${portal.url}/api/facilitator/events`, cookie, 8);
    await page.goto("/facilitator");
    await expect(page.getByTestId("room-connection")).toContainText("already have 8 live portal views open");
    for (const stream of opened) stream.close();
  });
});
