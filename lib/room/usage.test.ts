import { describe, expect, it } from "vitest";
import { attendee, environmentRow, memoryStorePerTest } from "@/test/support/unit";
import { usageByEnvironment } from "@/lib/db/room-queries";
import type { EnvironmentSnapshot, UsageMeter } from "@/lib/providers/contract";
import type { Watchers } from "@/lib/environments/watchers";
import { trackUsage } from "./usage";

memoryStorePerTest();

const snapshot = (status: EnvironmentSnapshot["status"], cpuSeconds: number): EnvironmentSnapshot => ({
  stackName: "dask-ada",
  status,
  progress: { done: 4, total: 4 },
  tasks: [],
  desiredWorkers: 2,
  links: {},
  usage: { cpuSeconds },
});

describe("usage tracking", () => {
  it("writes a running environment's use every 30 s, however often it is polled, and always its final figure", () => {
    const row = environmentRow(attendee("Ada").id, "dask-ada");
    let listener: (envId: string, s: EnvironmentSnapshot) => void = () => {};
    const watchers = { onSnapshot: (l: typeof listener) => ((listener = l), () => {}) } as unknown as Watchers;
    let writes = 0;
    const meter: UsageMeter = {
      unit: "cpu-seconds",
      oneOffTask: () => 0,
      measure: ({ snapshot: s }) => {
        writes += 1;
        return s.usage?.cpuSeconds ?? 0;
      },
    };
    let clock = 0;
    trackUsage(watchers, meter, () => clock);
    for (let second = 0; second < 65; second++) {
      clock = second * 1000;
      listener(row.id, snapshot("CREATE_COMPLETE", second));
    }
    expect(writes).toBe(3);
    expect(usageByEnvironment().get(row.id)?.cpuSeconds).toBe(60);
    clock = 66_000;
    listener(row.id, snapshot("DELETE_COMPLETE", 66));
    expect(usageByEnvironment().get(row.id)?.cpuSeconds).toBe(66);
  });
});
