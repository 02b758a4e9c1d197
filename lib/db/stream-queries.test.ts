import { describe, expect, it } from "vitest";
import { attendee, memoryStorePerTest } from "@/test/support/unit";
import { createEnvironmentOnce, updateEnvironment } from "./environment-queries";
import { inTransaction } from "@/lib/db";
import { appendStreamEvent, lastStreamSeq, pruneStreamEvents, streamEventsAfter } from "./stream-queries";

// The stored stream events: numbered per environment, read back in order, and pruned on
// the schedule the runtime runs (after teardown plus the retention window; a ceiling per
// environment).
memoryStorePerTest();

const HOUR = 60 * 60_000;

function environmentWith(name: string, events: number) {
  const { row } = createEnvironmentOnce({ attendeeId: attendee(name).id, provider: "fake", stackName: `dask-${name}`, desiredWorkers: 2 });
  inTransaction(() => {
    for (let seq = 1; seq <= events; seq++) appendStreamEvent(row.id, seq, "log", JSON.stringify({ text: `line ${seq}` }));
  });
  return row;
}

const seqs = (envId: string) => streamEventsAfter(envId, 0).map((e) => e.seq);

describe("stored stream events", () => {
  it("hands out an environment's events after a number, in order, and knows the last number", () => {
    const row = environmentWith("Ada", 3);
    expect(streamEventsAfter(row.id, 1).map((e) => e.seq)).toEqual([2, 3]);
    expect(streamEventsAfter(row.id, 0, 10, 3).map((e) => e.seq)).toEqual([1, 2]);
    expect(lastStreamSeq(row.id)).toBe(3);
    // A number is used once per environment: the store refuses a second event 3.
    expect(() => appendStreamEvent(row.id, 3, "log", "{}")).toThrow(/UNIQUE/);
  });

  it("deletes a torn-down environment's events once the retention window has passed, and only then", () => {
    const gone = environmentWith("Ada", 5);
    const live = environmentWith("Bob", 5);
    const now = new Date("2026-12-02T12:00:00Z");
    updateEnvironment(gone.id, { status: "DELETE_COMPLETE", deletedAt: new Date(now.getTime() - 23 * HOUR).toISOString() });
    const retention = { retentionMs: 24 * HOUR, keptPerEnvironment: 1_000 };

    expect(pruneStreamEvents(retention, now)).toEqual({ ended: 0, overCeiling: 0 });
    expect(seqs(gone.id)).toHaveLength(5);

    expect(pruneStreamEvents(retention, new Date(now.getTime() + 2 * HOUR))).toEqual({ ended: 5, overCeiling: 0 });
    expect(seqs(gone.id)).toEqual([]);
    expect(seqs(live.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps only the newest events of an environment over the ceiling, and numbering goes on from there", () => {
    const busy = environmentWith("Ada", 250);
    const quiet = environmentWith("Bob", 10);
    expect(pruneStreamEvents({ retentionMs: 24 * HOUR, keptPerEnvironment: 100 })).toEqual({ ended: 0, overCeiling: 150 });
    expect(seqs(busy.id)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));
    expect(seqs(quiet.id)).toHaveLength(10);
    expect(lastStreamSeq(busy.id)).toBe(250);
  });
});
