// Behind a TLS proxy the portal's public address is https: its cookies must then carry
// Secure, so a browser never sends the session over plain http. The facilitator signs in
// over real HTTP through next-auth's own handler (its API-route form, which needs no
// Next.js request scope), and the test reads the Set-Cookie headers the browser would get.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { NextApiRequest, NextApiResponse } from "next";
import NextAuth from "next-auth";
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryStorePerTest } from "@/test/support/unit";

memoryStorePerTest();
afterEach(() => {
  vi.unstubAllEnvs();
});

function cookiesOf(header: string | undefined): Record<string, string> {
  return Object.fromEntries((header ?? "").split(/;\s*/).filter(Boolean).map((c) => [c.slice(0, c.indexOf("=")), decodeURIComponent(c.slice(c.indexOf("=") + 1))]));
}

/** /api/auth/* on a loopback port, with the portal's auth options as they load for `publicUrl`. */
async function authServer(publicUrl: string) {
  vi.stubEnv("NEXTAUTH_URL", publicUrl);
  vi.stubEnv("NEXTAUTH_SECRET", "a-test-secret-of-enough-length-0123456789");
  vi.stubEnv("FACILITATOR_PASSWORD", "correct horse");
  vi.stubEnv("EVENT_JOIN_CODE", "DASK-TEST-CODE");
  vi.resetModules();
  const { authOptions } = await import("./options");
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://portal");
    const apiReq = Object.assign(req, {
      query: { ...Object.fromEntries(url.searchParams), nextauth: url.pathname.split("/").slice(3) },
      body: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))),
      cookies: cookiesOf(req.headers.cookie),
    }) as unknown as NextApiRequest;
    const apiRes = Object.assign(res, {
      status: (code: number) => ((res.statusCode = code), apiRes),
      send: (body: unknown) => res.end(typeof body === "string" ? body : JSON.stringify(body)),
      json: (body: unknown) => res.end(JSON.stringify(body)),
    }) as unknown as NextApiResponse;
    await NextAuth(apiReq, apiRes, authOptions);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** The session cookie a facilitator's sign-in sets, as its Set-Cookie line. */
async function sessionCookie(publicUrl: string): Promise<string | undefined> {
  const server = await authServer(publicUrl);
  try {
    const csrf = await fetch(`${server.base}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const signIn = await fetch(`${server.base}/api/auth/callback/facilitator`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrfToken, password: "correct horse", json: "true" }),
    });
    return signIn.headers.getSetCookie().find((c) => c.includes("session-token="));
  } finally {
    server.close();
  }
}

describe("the session cookie", () => {
  it("is Secure (and __Secure- named) when the public URL is https", async () => {
    const session = await sessionCookie("https://portal.example.org");
    expect(session).toMatch(/^__Secure-next-auth\.session-token=/);
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*HttpOnly/i);
  });

  it("is not Secure on a plain http address (a laptop's http://localhost:3000), where browsers would drop it", async () => {
    const session = await sessionCookie("http://localhost:3000");
    expect(session).toMatch(/^next-auth\.session-token=/);
    expect(session).not.toMatch(/;\s*Secure/i);
  });
});
