import "server-only";
import { createHmac } from "node:crypto";
import { anonymousActor, audit, type Actor } from "@/lib/audit";
import { attendeeByEmail, attendeeSignedIn, createAttendee, replaceReturnCode, countAttendees } from "@/lib/db/attendee-queries";
import { PortalError } from "@/lib/errors";
import { assertRoomForAttendee } from "@/lib/room/limits";
import { clientAddress, type HeaderLookup, TrustedProxies } from "./client-address";
import { attendeeSignInSchema, facilitatorSignInSchema, firstIssue, secretsMatch } from "./credentials";
import { FailureLimiter } from "./rate-limit";
import { hashReturnCode, newReturnCode, returnCodeMatches } from "./return-codes";
import { revealLater } from "./reveal";

/** A refused sign-in, worded for the person at the form. */
export class SignInRefused extends Error {}

export interface SignInSecrets {
  joinCode: string;
  facilitatorPassword: string;
  /** Keys the join code's fingerprint in attendee sessions. */
  sessionSecret: string;
}

export interface SignedIn {
  id: string;
  name: string;
  email: string | null;
  role: "attendee" | "facilitator";
  /** Attendees: the session version and join code the session was issued under. */
  sessionVersion?: number;
  joinCodeMark?: string;
}

/**
 * Sessions made under one join code end when it changes: the session carries a keyed
 * fingerprint of the code (never the code, nor a plain hash a browser could guess against).
 */
export function joinCodeMark(joinCode: string, sessionSecret: string): string {
  return createHmac("sha256", sessionSecret).update(`join-code:${joinCode}`).digest("base64url").slice(0, 22);
}

const minute = 60_000;

/**
 * Both sign-in forms, with their own limits: a room behind one NAT shares an address, so
 * the attendee form allows more than the facilitator's, and a guessed-at email is
 * limited wherever the guesses come from.
 */
export class SignInGate {
  readonly attendeeByAddress: FailureLimiter;
  readonly attendeeByEmail: FailureLimiter;
  readonly facilitatorByAddress: FailureLimiter;

  constructor(
    private readonly trusted: TrustedProxies,
    now: () => number = Date.now,
  ) {
    this.attendeeByAddress = new FailureLimiter(20, minute, now);
    this.attendeeByEmail = new FailureLimiter(10, 15 * minute, now);
    this.facilitatorByAddress = new FailureLimiter(5, minute, now);
  }

  attendee(raw: unknown, header: HeaderLookup, secrets: SignInSecrets): SignedIn {
    const from = this.origin(header);
    waitIfLimited(this.attendeeByAddress, from.address);
    const parsed = attendeeSignInSchema.safeParse(raw);
    if (!parsed.success) throw new SignInRefused(firstIssue(parsed.error));
    const { name, email, code, returnCode } = parsed.data;
    const refuse = (detail: string, message: string, limiters: [FailureLimiter, string][]): never => {
      for (const [limiter, key] of limiters) limiter.fail(key);
      audit(anonymousActor, "sign-in", { target: email, ok: false, detail: `${detail} ${from.words}` });
      throw new SignInRefused(message);
    };
    if (!secretsMatch(code, secrets.joinCode)) {
      refuse("wrong join code", "That join code is not right. Ask your facilitator for the code on the screen.", [[this.attendeeByAddress, from.address]]);
    }
    const mark = joinCodeMark(secrets.joinCode, secrets.sessionSecret);
    const known = attendeeByEmail(email);
    if (!known) {
      try {
        assertRoomForAttendee(countAttendees());
      } catch (error) {
        if (!PortalError.is(error)) throw error;
        refuse("event full", error.message, []);
      }
      const issued = newReturnCode();
      const attendee = createAttendee({ email, name, returnCodeHash: hashReturnCode(issued) });
      revealLater(attendee.id, issued);
      audit({ id: attendee.id, role: "attendee" }, "sign-in", { detail: `first join, return code issued ${from.words}` });
      return { id: attendee.id, name: attendee.name, email: attendee.email, role: "attendee", sessionVersion: attendee.sessionVersion, joinCodeMark: mark };
    }
    if (known.removedAt) {
      refuse("removed attendee", "The facilitator has removed this attendee from the event. Ask them to let you back in.", []);
    }
    if (!known.returnCodeHash) {
      // Joined before return codes existed: this sign-in sets one, shown once.
      const issued = newReturnCode();
      const attendee = replaceReturnCode(known.id, hashReturnCode(issued));
      revealLater(known.id, issued);
      audit({ id: known.id, role: "attendee" }, "sign-in", { detail: `first sign-in since return codes, code issued ${from.words}` });
      return { id: known.id, name: attendee.name, email: known.email, role: "attendee", sessionVersion: attendee.sessionVersion, joinCodeMark: mark };
    }
    waitIfLimited(this.attendeeByEmail, email);
    if (!returnCode) {
      refuse(
        "no return code for a known email",
        "This email has already joined. Enter your return code (shown when you first joined), or ask your facilitator for a new one.",
        [],
      );
    }
    if (!returnCodeMatches(returnCode!, known.returnCodeHash)) {
      refuse("wrong return code", "That return code is not right for this email. Ask your facilitator for a new one if you have lost it.", [
        [this.attendeeByAddress, from.address],
        [this.attendeeByEmail, email],
      ]);
    }
    const attendee = attendeeSignedIn(known.id, name);
    audit({ id: known.id, role: "attendee" }, "sign-in", { detail: from.words });
    return { id: known.id, name: attendee.name, email: known.email, role: "attendee", sessionVersion: attendee.sessionVersion, joinCodeMark: mark };
  }

  facilitator(raw: unknown, header: HeaderLookup, secrets: SignInSecrets): SignedIn {
    const from = this.origin(header);
    const facilitator: Actor = { id: "facilitator", role: "facilitator" };
    waitIfLimited(this.facilitatorByAddress, from.address);
    const parsed = facilitatorSignInSchema.safeParse(raw);
    if (!parsed.success) throw new SignInRefused(firstIssue(parsed.error));
    if (!secretsMatch(parsed.data.password, secrets.facilitatorPassword)) {
      this.facilitatorByAddress.fail(from.address);
      audit(facilitator, "sign-in", { ok: false, detail: `wrong password ${from.words}` });
      throw new SignInRefused("That password is not right.");
    }
    audit(facilitator, "sign-in", { detail: from.words });
    return { id: "facilitator", name: "Facilitator", email: null, role: "facilitator" };
  }

  private origin(header: HeaderLookup): { address: string; words: string } {
    const address = clientAddress(header, this.trusted);
    const agent = (header("user-agent") ?? "no user agent").replace(/[\u0000-\u001f\u007f]/g, " ").slice(0, 160);
    return { address, words: `from ${address} (${agent})` };
  }
}

function waitIfLimited(limiter: FailureLimiter, key: string): void {
  const wait = limiter.retryAfter(key);
  if (wait > 0) throw new SignInRefused(`Too many wrong attempts. Try again in ${wait} seconds.`);
}
