import { describe, expect, it, vi } from "vitest";
import { listAudit } from "@/lib/db/audit-queries";
import { fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { attendeeByEmail, endSessionsOf, getAttendeeOrNull } from "@/lib/db/attendee-queries";
import { reissueReturnCode, removeAttendee } from "@/lib/room/attendees";
import { peerHeader, TrustedProxies } from "./client-address";
import { pendingReturnCode } from "./reveal";
import { attendeeSessionHolds } from "./session-check";
import { SignInGate, type SignedIn } from "./sign-in";

memoryStorePerTest();

const secrets = { joinCode: "DASK-ROOM-CODE", facilitatorPassword: "facilitator-pass", sessionSecret: "s".repeat(32) };
const from = (address: string, forwarded?: string) => (name: string) =>
  ({ [peerHeader]: address, "x-forwarded-for": forwarded, "user-agent": "Firefox/140" })[name];
const ada = { name: "Ada", email: "ada@example.org", code: secrets.joinCode };
const facilitator = { id: "facilitator", role: "facilitator" } as const;

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

const token = (s: SignedIn) => ({ uid: s.id, sv: s.sessionVersion, jc: s.joinCodeMark });

describe("attendee sign-in with return codes", () => {
  it("gives a first join a return code to show once, and needs it from then on", () => {
    const gate = new SignInGate(new TrustedProxies([]));
    const first = gate.attendee(ada, from("192.0.2.1"), secrets);
    const code = pendingReturnCode(first.id)!;
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    // Someone else with the join code and Ada's email, without her code: refused, and told why.
    expect(refusal(() => gate.attendee(ada, from("192.0.2.66"), secrets))).toMatch(/already joined\. Enter your return code/);
    expect(refusal(() => gate.attendee({ ...ada, returnCode: "AAAA-BBBB-CCCC" }, from("192.0.2.66"), secrets))).toMatch(/return code is not right/);

    // Ada herself, typing the code loosely, gets the same attendee back.
    const again = gate.attendee({ ...ada, name: "Ada L.", returnCode: code.toLowerCase().replace(/-/g, " ") }, from("192.0.2.1"), secrets);
    expect(again.id).toBe(first.id);
    expect(getAttendeeOrNull(first.id)?.name).toBe("Ada L.");
  });

  it("refuses a new email once the event is full, but not someone who has joined", () => {
    const gate = new SignInGate(new TrustedProxies([]));
    const first = gate.attendee(ada, from("192.0.2.1"), secrets);
    const code = pendingReturnCode(first.id)!;
    vi.stubEnv("PORTAL_MAX_ATTENDEES", "1");
    try {
      expect(refusal(() => gate.attendee({ ...ada, name: "Bob", email: "bob@example.org" }, from("192.0.2.2"), secrets))).toBe(
        "This event is full (1 attendee). Ask your facilitator.",
      );
      expect(attendeeByEmail("bob@example.org")).toBeUndefined();
      expect(gate.attendee({ ...ada, returnCode: code }, from("192.0.2.1"), secrets).id).toBe(first.id);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("records address and user agent of sign-ins, and refused attempts", () => {
    const gate = new SignInGate(new TrustedProxies([]));
    gate.attendee(ada, from("192.0.2.1"), secrets);
    expect(refusal(() => gate.attendee({ ...ada, code: "WRONG" }, from("192.0.2.9"), secrets))).toMatch(/join code is not right/);
    const log = listAudit().filter((r) => r.action === "sign-in");
    expect(log.map((r) => [r.result, r.detail])).toEqual(
      expect.arrayContaining([
        ["ok", expect.stringContaining("from 192.0.2.1 (Firefox/140)")],
        ["error", expect.stringContaining("wrong join code from 192.0.2.9")],
      ]),
    );
  });

  it("limits by the connection's address, not by what X-Forwarded-For claims", () => {
    const gate = new SignInGate(new TrustedProxies([]));
    for (let i = 0; i < 20; i++) refusal(() => gate.attendee({ ...ada, code: "WRONG" }, from("192.0.2.5", `10.0.0.${i}`), secrets));
    expect(refusal(() => gate.attendee(ada, from("192.0.2.5", "10.0.0.99"), secrets))).toMatch(/Too many wrong attempts/);
    // Another address is not locked out by them, even when they claim to be it.
    expect(gate.attendee(ada, from("192.0.2.6"), secrets).role).toBe("attendee");
  });

  it("keeps each form's failures its own, and no success clears them", () => {
    const gate = new SignInGate(new TrustedProxies([]));
    for (let i = 0; i < 5; i++) refusal(() => gate.facilitator({ password: "guess" }, from("192.0.2.7"), secrets));
    // A valid attendee sign-in from the same address neither is blocked nor unblocks the facilitator form.
    expect(gate.attendee(ada, from("192.0.2.7"), secrets).role).toBe("attendee");
    expect(refusal(() => gate.facilitator({ password: secrets.facilitatorPassword }, from("192.0.2.7"), secrets))).toMatch(/Too many wrong attempts/);
    expect(gate.facilitator({ password: secrets.facilitatorPassword }, from("192.0.2.8"), secrets).role).toBe("facilitator");
  });

  it("limits guesses at one attendee's return code from however many addresses", () => {
    const gate = new SignInGate(new TrustedProxies([]));
    gate.attendee(ada, from("192.0.2.1"), secrets);
    for (let i = 0; i < 10; i++) refusal(() => gate.attendee({ ...ada, returnCode: "AAAA-AAAA-AAAA" }, from(`198.51.100.${i}`), secrets));
    expect(refusal(() => gate.attendee({ ...ada, returnCode: "AAAA-AAAA-AAAA" }, from("198.51.100.200"), secrets))).toMatch(/Too many wrong attempts/);
  });
});

describe("sessions the facilitator can end", () => {
  it("ends a session on sign-out, a new return code, removal, and a new join code", async () => {
    const { rt } = fakeRuntime();
    const gate = new SignInGate(new TrustedProxies([]));
    const first = gate.attendee(ada, from("192.0.2.1"), secrets);
    expect(attendeeSessionHolds(token(first), secrets)).toBe(true);
    expect(attendeeSessionHolds(token(first), { ...secrets, joinCode: "DASK-NEW-CODE" })).toBe(false);

    endSessionsOf(first.id);
    expect(attendeeSessionHolds(token(first), secrets)).toBe(false);

    const { code } = reissueReturnCode(rt.signal, facilitator, first.id);
    const back = gate.attendee({ ...ada, returnCode: code }, from("192.0.2.1"), secrets);
    expect(attendeeSessionHolds(token(back), secrets)).toBe(true);

    await removeAttendee(rt, facilitator, first.id);
    expect(attendeeSessionHolds(token(back), secrets)).toBe(false);
    expect(refusal(() => gate.attendee({ ...ada, returnCode: code }, from("192.0.2.1"), secrets))).toMatch(/removed this attendee/);
    expect(listAudit().map((r) => r.action)).toEqual(expect.arrayContaining(["return-code", "remove-attendee"]));
  });
});
