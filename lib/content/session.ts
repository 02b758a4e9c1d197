import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { joinCodeMark } from "@/lib/auth/sign-in";
import { sessionStateOf } from "@/lib/db/attendee-queries";

// The content origin's own session: a cookie for one environment and one viewer, set when a
// ticket is taken (tickets.ts), never the portal's session (which the proxy strips). It is
// signed, so it needs no storage and outlives a portal restart, and it holds no more than
// the portal session it came from: an attendee's ends with their session version (signed out,
// a new return code, removed) or with the join code; every request and every WebSocket
// opening checks it again.

export const CONTENT_COOKIE = "portal-content";
/** The hand-off's state cookie (tickets.ts), only on the hand-off's own path. */
export const STATE_COOKIE = "portal-handoff";
/** As long as a portal session. */
export const CONTENT_SESSION_MS = 12 * 60 * 60_000;

/** Who a ticket and a content session speak for: the attendee (with their session version) or the facilitator. */
export type ContentViewer = { role: "attendee"; id: string; sessionVersion: number } | { role: "facilitator"; id: string };

const payloadSchema = z.object({
  /** The environment. */
  e: z.string(),
  r: z.enum(["attendee", "facilitator"]),
  i: z.string(),
  /** The attendee's session version when the ticket was made. */
  v: z.number().int().nullable(),
  /** The join code's mark then (lib/auth/sign-in.ts). */
  j: z.string(),
  /** Issued at (ms). */
  t: z.number(),
});

export interface ContentSecrets {
  sessionSecret: string;
  joinCode: string;
}

const keys = new Map<string, Buffer>();
/** The signing key, derived from the portal's session secret (once per secret). */
const key = (secrets: ContentSecrets) => keys.get(secrets.sessionSecret) ?? keys.set(secrets.sessionSecret, createHmac("sha256", secrets.sessionSecret).update("content-session").digest()).get(secrets.sessionSecret)!;
const sign = (body: string, secrets: ContentSecrets) => createHmac("sha256", key(secrets)).update(body).digest("base64url");

/** The cookie's value for `viewer` on `envId`. */
export function sealContentSession(envId: string, viewer: ContentViewer, secrets: ContentSecrets, now = Date.now()): string {
  const payload = {
    e: envId,
    r: viewer.role,
    i: viewer.id,
    v: viewer.role === "attendee" ? viewer.sessionVersion : null,
    j: joinCodeMark(secrets.joinCode, secrets.sessionSecret),
    t: now,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${sign(body, secrets)}`;
}

/**
 * The viewer a cookie value speaks for on `envId`, if it is genuine, for that environment,
 * young enough, made under the current join code, and (an attendee's) their session still holds.
 */
export function openContentSession(value: string, envId: string, secrets: ContentSecrets, now = Date.now()): ContentViewer | null {
  const [body, mac] = value.split(".");
  if (!body || !mac) return null;
  const expected = Buffer.from(sign(body, secrets));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let payload: z.infer<typeof payloadSchema>;
  try {
    payload = payloadSchema.parse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    return null;
  }
  if (payload.e !== envId || now - payload.t > CONTENT_SESSION_MS || payload.t > now + 60_000) return null;
  if (payload.j !== joinCodeMark(secrets.joinCode, secrets.sessionSecret)) return null;
  const viewer: ContentViewer = payload.r === "facilitator" ? { role: "facilitator", id: payload.i } : { role: "attendee", id: payload.i, sessionVersion: payload.v ?? -1 };
  return stillHolds(viewer) ? viewer : null;
}

/** Whether the attendee behind a content session is still signed in as when its ticket was made (the facilitator's session is not revocable). */
export function stillHolds(viewer: ContentViewer): boolean {
  if (viewer.role === "facilitator") return true;
  const state = sessionStateOf(viewer.id);
  return Boolean(state && !state.removed && state.sessionVersion === viewer.sessionVersion);
}
