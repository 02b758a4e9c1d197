import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { request, type APIRequestContext } from "@playwright/test";

// Talking to the portal over plain HTTP, the way a script (or an attacker) would: sign in
// through next-auth's credentials endpoint, then probe routes and hold streams open.

export type Provider = "attendee" | "facilitator";

export interface SignInAttempt {
  ok: boolean;
  /** The message the sign-in form would show, when the attempt was refused. */
  error?: string;
}

/** A request context of its own (its own cookie jar) for `baseURL`. */
export function httpClient(baseURL: string): Promise<APIRequestContext> {
  return request.newContext({ baseURL });
}

/**
 * One sign-in through POST /api/auth/callback/<provider>, as the form does it (CSRF token
 * first). `headers` go with the POST only, e.g. a forged X-Forwarded-For.
 */
export async function signInOverHttp(
  ctx: APIRequestContext,
  provider: Provider,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<SignInAttempt> {
  const { csrfToken } = (await (await ctx.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const res = await ctx.post(`/api/auth/callback/${provider}`, {
    form: { ...fields, csrfToken, json: "true" },
    headers,
    maxRedirects: 0,
  });
  const body = (await res.json().catch(() => ({}))) as { url?: string };
  const error = body.url ? (new URL(body.url).searchParams.get("error") ?? undefined) : `HTTP ${res.status()}`;
  return error ? { ok: false, error } : { ok: true };
}

/** The Cookie header a request context would send (its session, if signed in). */
export async function cookieHeader(ctx: APIRequestContext | undefined): Promise<string> {
  if (!ctx) return "";
  const { cookies } = await ctx.storageState();
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

export interface Opened {
  status: number;
  location?: string;
  /** The JSON body of a refusal (a stream that opened is not read). */
  json?: { error?: string };
  close(): void;
}

/**
 * One GET that does not follow redirects and does not wait for the body: a stream that
 * opens stays open until `close()`. Playwright's request context reads whole bodies,
 * which an SSE stream never finishes, hence fetch with the context's cookies.
 */
export async function open(url: string, cookie: string): Promise<Opened> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: "manual", signal: abort.signal });
  const close = () => abort.abort();
  const isStream = (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
  let json: Opened["json"];
  if (!isStream && (res.headers.get("content-type") ?? "").includes("json")) json = (await res.json()) as Opened["json"];
  return { status: res.status, location: res.headers.get("location") ?? undefined, json, close };
}

/** Status and redirect target of one GET, the body left unread. */
export async function probe(url: string, cookie: string): Promise<{ status: number; location?: string }> {
  const opened = await open(url, cookie);
  opened.close();
  return { status: opened.status, location: opened.location };
}

/**
 * How to reach an https `baseURL` whose name no resolver knows: the address its name stands
 * for, and the CA that signed its certificate (a TLS proxy's own, in a test).
 */
export interface TlsRoute {
  address: string;
  ca: string;
}

/** A lookup that answers `address` for every name, in both of the shapes Node may ask for. */
export function lookupAs(address: string): LookupFunction {
  return (_host, options, callback) =>
    options.all ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4);
}

/**
 * One sign-in as above, sent from a chosen loopback source address (127.0.0.2, …), so the
 * portal sees another client: connecting *to* another loopback address is not enough,
 * the kernel still picks 127.0.0.1 as the source. An https `baseURL` needs `tls`.
 */
export async function signInFrom(
  localAddress: string,
  baseURL: string,
  provider: Provider,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  tls?: TlsRoute,
): Promise<SignInAttempt> {
  const client = new URL(baseURL).protocol === "https:" ? https : http;
  const route = tls ? { ca: tls.ca, lookup: lookupAs(tls.address) } : {};
  const send = (method: string, path: string, extra: Record<string, string>, body?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = client.request(new URL(path, baseURL), { method, localAddress, headers: extra, ...route }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const csrf = await send("GET", "/api/auth/csrf", {});
  const cookie = (csrf.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const form = new URLSearchParams({ ...fields, csrfToken, json: "true" }).toString();
  const res = await send("POST", `/api/auth/callback/${provider}`, {
    ...headers,
    cookie,
    "content-type": "application/x-www-form-urlencoded",
    "content-length": String(Buffer.byteLength(form)),
  }, form);
  const url = (JSON.parse(res.body || "{}") as { url?: string }).url;
  const error = url ? (new URL(url).searchParams.get("error") ?? undefined) : `HTTP ${res.status}`;
  return error ? { ok: false, error } : { ok: true };
}
