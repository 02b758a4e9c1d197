import { describe, expect, it } from "vitest";
import { setCurrentLab } from "@/lib/db/lab-queries";
import { listAudit } from "@/lib/db/audit-queries";
import type { AttendeeEvents, FrameOf } from "@/lib/stream/protocol";
import { attendee, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { announce, sendHint } from "./facilitator";

// Hints from the pace card: they arrive like announcements, but only on the pages of
// those they are for, live and after a reload.

memoryStorePerTest();

const facilitator = { id: "facilitator", role: "facilitator" as const };

function pageOf(rt: ReturnType<typeof fakeRuntime>["rt"], attendeeId: string) {
  const frames: FrameOf<AttendeeEvents>[] = [];
  rt.attendees.subscribe({ key: attendeeId, send: (f) => frames.push(f) > 0, close: () => {} }, null);
  return {
    messages: () =>
      frames.flatMap((f) => (f.event === "announcement" ? [f.data] : f.event === "hello" ? f.data.announcements : [])).map((a) => `${a.hint ? "hint" : "all"}: ${a.message}`),
  };
}

describe("hints", () => {
  it("reach everyone on the lab and nobody else, live and when a page opens later", () => {
    const { rt } = fakeRuntime();
    const [ann, ben, cat] = ["Ann", "Ben", "Cat"].map((n) => attendee(n));
    setCurrentLab(ann.id, "03-deploy-the-dask-environment");
    setCurrentLab(ben.id, "03-deploy-the-dask-environment");
    setCurrentLab(cat.id, "04-analyse-era5-in-the-notebook");
    const pages = [ann, ben, cat].map((a) => pageOf(rt, a.id));

    const sent = sendHint(rt.signal, facilitator, { message: "Check the stack events tab.", lab: "03-deploy-the-dask-environment" });
    announce(rt.signal, facilitator, "Break in 10 minutes.");
    expect(sent.recipients).toBe(2);
    expect(pages.map((p) => p.messages())).toEqual([
      ["hint: Check the stack events tab.", "all: Break in 10 minutes."],
      ["hint: Check the stack events tab.", "all: Break in 10 minutes."],
      ["all: Break in 10 minutes."],
    ]);
    expect([ann, cat].map((a) => pageOf(rt, a.id).messages())).toEqual([
      ["hint: Check the stack events tab.", "all: Break in 10 minutes."],
      ["all: Break in 10 minutes."],
    ]);
    expect(listAudit().find((e) => e.action === "hint")?.target).toBe("lab 03-deploy-the-dask-environment");
  });

  it("reach one attendee, and are refused with a reason for an empty lab or nobody", () => {
    const { rt } = fakeRuntime();
    const [ann, ben] = ["Ann", "Ben"].map((n) => attendee(n));
    const pages = [ann, ben].map((a) => pageOf(rt, a.id));
    sendHint(rt.signal, facilitator, { message: "Your scheduler address changed.", attendeeId: ben.id });
    expect(pages.map((p) => p.messages())).toEqual([[], ["hint: Your scheduler address changed."]]);
    expect(() => sendHint(rt.signal, facilitator, { message: "x", lab: "05-clean-up" })).toThrow("Nobody is on that lab right now.");
    expect(() => sendHint(rt.signal, facilitator, { message: "x", attendeeId: "nobody" })).toThrow("No such attendee.");
  });
});
