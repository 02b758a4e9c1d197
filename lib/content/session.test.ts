import { describe, expect, it } from "vitest";
import { endSessionsOf, markRemoved } from "@/lib/db/attendee-queries";
import { attendee, memoryStorePerTest } from "@/test/support/unit";
import { CONTENT_SESSION_MS, openContentSession, sealContentSession, stillHolds, type ContentSecrets } from "./session";

// The content origin's cookie: for one environment and one viewer, and never more than the
// portal session it came from.

memoryStorePerTest();

const secrets: ContentSecrets = { sessionSecret: "a-secret-for-the-tests-only-0000000000", joinCode: "JOIN-CODE" };
const envA = "aaaaaaaa-0000-4000-8000-00000000000a";
const envB = "bbbbbbbb-0000-4000-8000-00000000000b";

describe("content sessions", () => {
  it("speak for their viewer on their environment only", () => {
    const ada = attendee("Ada");
    const viewer = { role: "attendee" as const, id: ada.id, sessionVersion: ada.sessionVersion };
    const cookie = sealContentSession(envA, viewer, secrets);
    expect(openContentSession(cookie, envA, secrets)).toEqual(viewer);
    expect(openContentSession(cookie, envB, secrets)).toBeNull();
    const facilitator = sealContentSession(envA, { role: "facilitator", id: "facilitator" }, secrets);
    expect(openContentSession(facilitator, envA, secrets)).toEqual({ role: "facilitator", id: "facilitator" });
  });

  it("cannot be forged or altered, and end with the join code or after twelve hours", () => {
    const ada = attendee("Ada");
    const cookie = sealContentSession(envA, { role: "attendee", id: ada.id, sessionVersion: ada.sessionVersion }, secrets, 1_000);
    const [body, mac] = cookie.split(".");
    const asFacilitator = Buffer.from(Buffer.from(body, "base64url").toString().replace('"r":"attendee"', '"r":"facilitator"')).toString("base64url");
    expect(openContentSession(`${asFacilitator}.${mac}`, envA, secrets, 2_000)).toBeNull();
    expect(openContentSession(cookie, envA, { ...secrets, sessionSecret: "another-secret-000000000000000000000" }, 2_000)).toBeNull();
    expect(openContentSession(cookie, envA, { ...secrets, joinCode: "NEW-JOIN-CODE" }, 2_000)).toBeNull();
    expect(openContentSession(cookie, envA, secrets, 1_000 + CONTENT_SESSION_MS + 1)).toBeNull();
    expect(openContentSession("not-a-cookie", envA, secrets)).toBeNull();
  });

  it("end when the attendee is signed out or removed, as their portal session does", () => {
    const ada = attendee("Ada");
    const viewer = { role: "attendee" as const, id: ada.id, sessionVersion: ada.sessionVersion };
    const cookie = sealContentSession(envA, viewer, secrets);
    endSessionsOf(ada.id);
    expect(openContentSession(cookie, envA, secrets)).toBeNull();
    expect(stillHolds(viewer)).toBe(false);
    const bob = attendee("Bob");
    const bobViewer = { role: "attendee" as const, id: bob.id, sessionVersion: bob.sessionVersion };
    expect(stillHolds(bobViewer)).toBe(true);
    markRemoved(bob.id);
    expect(stillHolds(bobViewer)).toBe(false);
  });
});
