import { describe, expect, it } from "vitest";
import type { RosterRow } from "@/lib/stream/protocol";
import { isStuck, roomPace } from "./pace";

// The pace card's figures from roster rows, at a given moment.

const t0 = Date.parse("2026-12-01T09:00:00Z");
const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();

function row(name: string, over: Partial<RosterRow>): RosterRow {
  return {
    attendeeId: name,
    name,
    email: `${name}@example.org`,
    currentLab: null,
    checksPassed: 0,
    envId: null,
    envStatus: "none",
    envDeletedAt: null,
    workersRunning: 0,
    lastError: null,
    usage: 0,
    lastActivity: at(0),
    help: null,
    progress: null,
    otherPins: null,
    diagnosis: null,
    labs: {},
    lastProgressAt: at(0),
    ...over,
  };
}

const labs = [
  { slug: "lab-a", title: "1. A" },
  { slug: "lab-b", title: "2. B" },
];

describe("the room's pace", () => {
  const rows = [
    row("Ann", { currentLab: "lab-b", labs: { "lab-a": { startedAt: at(0), doneAt: at(10) }, "lab-b": { startedAt: at(10), doneAt: null } }, lastProgressAt: at(10) }),
    row("Ben", { currentLab: "lab-a", labs: { "lab-a": { startedAt: at(0), doneAt: null } }, lastProgressAt: at(0), help: "open" }),
    row("Cat", { currentLab: "lab-a", labs: { "lab-a": { startedAt: at(5), doneAt: null } }, lastProgressAt: at(5) }),
  ];

  it("counts who is on each lab, who finished it, and the median minutes spent on it", () => {
    const [a, b] = roomPace(rows, labs, t0 + 30 * 60_000, 15);
    expect([a.on.map((r) => r.name), a.done, b.on.map((r) => r.name), b.done]).toEqual([["Ben", "Cat"], 1, ["Ann"], 0]);
    // Ann took 10 min; Ben is at 30 so far, Cat at 25: the median of 10, 25, 30.
    expect(a.medianMinutes).toBe(25);
    expect(b.medianMinutes).toBe(20);
  });

  it("flags as stuck only who has made no progress for the threshold while asking for help or showing a diagnosis", () => {
    const now = t0 + 30 * 60_000;
    expect(roomPace(rows, labs, now, 15)[0].stuck.map((r) => r.name)).toEqual(["Ben"]);
    expect(roomPace(rows, labs, now, 31)[0].stuck).toEqual([]);
    const failing = row("Dan", { currentLab: "lab-a", diagnosis: { code: "out-of-memory", at: at(1) }, lastProgressAt: at(1) });
    expect(isStuck(failing, now, 20)).toBe(true);
    expect(isStuck({ ...failing, diagnosis: null }, now, 20)).toBe(false);
  });
});
