import { describe, expect, it } from "vitest";
import { admitOrRefuse, plannedMiB, roomCapacity, type CapacitySettings } from "./capacity";

// The arithmetic behind "how many environments fit" on the facilitator page, and the
// refusal an attendee meets when the machine is full.

const machine24 = { cores: 2, memoryMiB: 24 * 1024 };
const defaults: CapacitySettings = { machine: machine24, reserveMiB: 2048, workerMemoryMiB: 2048, defaultWorkers: 2 };

describe("local capacity", () => {
  it("plans an environment as its workers' memory limits plus a scheduler and a JupyterLab", () => {
    expect(plannedMiB(defaults, 2, null)).toBe(2 * 2048 + 200 + 300);
    expect(plannedMiB({ ...defaults, workerMemoryMiB: 256 }, 1, null)).toBe(756);
  });

  it("counts a measured environment when it is larger than its plan, never less than the plan", () => {
    expect(plannedMiB(defaults, 2, 6000)).toBe(6000);
    expect(plannedMiB(defaults, 2, 400)).toBe(4596);
  });

  it("shows the estimate as the footprint until an environment is measured, then the measurement", () => {
    const before = roomCapacity(defaults, [], null);
    expect(before).toMatchObject({ cores: 2, memoryMiB: 24576, footprintMiB: 4596, footprintMeasured: false });
    const after = roomCapacity(defaults, [], 420);
    expect(after).toMatchObject({ footprintMiB: 420, footprintMeasured: true });
  });

  it("fits as many environments as the memory left after the reserve holds, and fewer as they start", () => {
    // (24576 - 2048) / 4596 = 4.9
    expect(roomCapacity(defaults, [], null)).toMatchObject({ fit: 4, more: 4, live: 0 });
    expect(roomCapacity(defaults, [2, 2, 4], null)).toMatchObject({ fit: 4, more: 1, live: 3, plannedLiveMiB: 4596 * 2 + 8692 });
    // Small workers: 22528 / 756 = 29.8
    const small = { ...defaults, workerMemoryMiB: 256, defaultWorkers: 1 };
    expect(roomCapacity(small, [], null).fit).toBe(29);
  });

  it("follows the configured worker memory and count", () => {
    expect(roomCapacity({ ...defaults, defaultWorkers: 4 }, [], null).plannedPerEnvironmentMiB).toBe(4 * 2048 + 500);
    expect(roomCapacity({ ...defaults, workerMemoryMiB: 512 }, [], null).plannedPerEnvironmentMiB).toBe(2 * 512 + 500);
  });

  it("admits a deploy that fits and refuses one that would overcommit, saying what to do", () => {
    expect(() => admitOrRefuse(defaults, [2, 2, 2, 2], 0, null)).not.toThrow();
    expect(() => admitOrRefuse(defaults, [2, 2, 2, 2], 2, null)).toThrow(
      /This machine is full: 4 environments already plan 18\.0 GiB and a new one needs 4\.5 GiB, but only 22\.0 GiB of 24\.0 GiB may be used \(2\.0 GiB is kept free\)\. .*tear down idle environments.*PORTAL_LOCAL_WORKER_MEMORY.*PORTAL_DEFAULT_WORKERS/,
    );
  });
});
