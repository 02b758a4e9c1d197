import { describe, expect, it } from "vitest";
import { portalConfig } from "@/lib/config";
import { countAttendees } from "@/lib/db/attendee-queries";
import { attendee, memoryStorePerTest } from "@/test/support/unit";
import { assertDeploysOpen, assertRoomForAttendee, eventLimits } from "./limits";

// The event's limits as a person meets them: the sentence they are refused with, and
// nothing refused below the limit.

memoryStorePerTest();

const config = (env: Record<string, string> = {}) => portalConfig({ PORTAL_DATA_DIR: "/nonexistent", ...env });

describe("the event's limits", () => {
  it("come from the environment, with defaults for a room", () => {
    expect(eventLimits(config())).toEqual({ maxAttendees: 150, maxWorkers: 4, defaultWorkers: 2 });
    expect(eventLimits(config({ PORTAL_MAX_ATTENDEES: "30", PORTAL_MAX_WORKERS: "6" }))).toMatchObject({ maxAttendees: 30, maxWorkers: 6 });
    expect(() => config({ PORTAL_MAX_ATTENDEES: "0" })).toThrow(/PORTAL_MAX_ATTENDEES/);
    expect(() => config({ PORTAL_MAX_ATTENDEES: "lots" })).toThrow(/PORTAL_MAX_ATTENDEES/);
  });
});

describe("the number of attendees", () => {
  const limits = eventLimits(config({ PORTAL_MAX_ATTENDEES: "2" }));

  it("lets people join until the event is full, then tells the next one why not", () => {
    expect(countAttendees()).toBe(0);
    expect(() => assertRoomForAttendee(countAttendees(), limits)).not.toThrow();
    attendee("Ada");
    expect(() => assertRoomForAttendee(countAttendees(), limits)).not.toThrow();
    attendee("Grace");
    expect(countAttendees()).toBe(2);
    expect(() => assertRoomForAttendee(countAttendees(), limits)).toThrow(
      expect.objectContaining({ code: "forbidden", message: "This event is full (2 attendees). Ask your facilitator." }),
    );
  });

  it("uses the configured maximum by default (150)", () => {
    expect(() => assertRoomForAttendee(149)).not.toThrow();
    expect(() => assertRoomForAttendee(150)).toThrow("This event is full (150 attendees). Ask your facilitator.");
  });
});

describe("the event's window", () => {
  const now = new Date("2026-12-02T12:00:00Z");
  const times = (startsAt: string | null, endsAt: string | null, endedAt: string | null = null) => ({ startsAt, endsAt, endedAt });

  it("keeps deploys open without times, and between the start and the end", () => {
    expect(() => assertDeploysOpen(times(null, null), now)).not.toThrow();
    expect(() => assertDeploysOpen(times("2026-12-02T09:00:00Z", "2026-12-02T17:00:00Z"), now)).not.toThrow();
  });

  it("says when deploys open, before the event starts", () => {
    expect(() => assertDeploysOpen(times("2026-12-02T13:30:00Z", null), now)).toThrow("The event starts at 13:30 UTC; deploys open then.");
    expect(() => assertDeploysOpen(times("2026-12-03T09:00:00Z", null), now)).toThrow("The event starts at 2026-12-03 09:00 UTC; deploys open then.");
  });

  it("says when the event ended, once its end has passed or the portal has ended it", () => {
    expect(() => assertDeploysOpen(times("2026-12-02T09:00:00Z", "2026-12-02T11:00:00Z"), now)).toThrow(
      "The event has ended (at 11:00 UTC); deploys are closed.",
    );
    expect(() => assertDeploysOpen(times(null, "2026-12-02T12:00:00Z"), now)).toThrow("The event has ended (at 12:00 UTC); deploys are closed.");
    expect(() => assertDeploysOpen(times(null, "2026-12-02T11:00:00Z", "2026-12-02T11:00:05Z"), now)).toThrow(
      "The event has ended (at 11:00 UTC); deploys are closed.",
    );
  });
});
