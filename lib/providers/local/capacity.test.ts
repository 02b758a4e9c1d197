import { describe, expect, it } from "vitest";
import { admitOrRefuse, plannedMiB, roomCapacity, type CapacitySettings } from "./capacity";

// The arithmetic behind "how many environments fit" on the facilitator page, and the
// refusal an attendee meets when the machine is full.

const machine24 = { cores: 2, memoryMiB: 24 * 1024 };
const defaults: CapacitySettings = { machine: machine24, reserveMiB: 2048, workerMemoryMiB: 2048, notebookMemoryMiB: 1024, cpus: 2, capped: true, defaultWorkers: 2 };

describe("local capacity", () => {
  it("plans an environment at its memory cap: its workers' limits plus what its notebook side may use", () => {
    expect(plannedMiB(defaults, 2, null)).toBe(2 * 2048 + 1024);
    expect(plannedMiB({ ...defaults, workerMemoryMiB: 256 }, 1, null)).toBe(1280);
  });

  it("ignores a larger measurement while caps hold, and counts it when they do not", () => {
    expect(plannedMiB(defaults, 2, 6000)).toBe(5120);
    expect(plannedMiB({ ...defaults, capped: false }, 2, 6000)).toBe(6000);
    expect(plannedMiB({ ...defaults, capped: false }, 2, 400)).toBe(5120);
  });

  it("tells the card whether environments are capped, with their CPUs and the largest measurement", () => {
    expect(roomCapacity(defaults, [], null)).toMatchObject({ cores: 2, memoryMiB: 24576, capped: true, cpusPerEnvironment: 2, measuredMiB: null, plannedPerEnvironmentMiB: 5120 });
    expect(roomCapacity({ ...defaults, capped: false }, [], 6000)).toMatchObject({ capped: false, measuredMiB: 6000, plannedPerEnvironmentMiB: 6000 });
  });

  it("fits as many environments as the memory left after the reserve holds, and fewer as they start", () => {
    // (24576 - 2048) / 5120 = 4.4
    expect(roomCapacity(defaults, [], null)).toMatchObject({ fit: 4, more: 4, live: 0 });
    expect(roomCapacity(defaults, [2, 2], null)).toMatchObject({ fit: 4, more: 2, live: 2, plannedLiveMiB: 10240 });
    expect(roomCapacity(defaults, [2, 2, 4], null)).toMatchObject({ more: 0, plannedLiveMiB: 5120 * 2 + 9216 });
    // Small workers and notebooks: 22528 / (256 + 512) = 29.3
    const small = { ...defaults, workerMemoryMiB: 256, notebookMemoryMiB: 512, defaultWorkers: 1 };
    expect(roomCapacity(small, [], null).fit).toBe(29);
  });

  it("follows the configured worker memory and count and the notebook's memory", () => {
    expect(roomCapacity({ ...defaults, defaultWorkers: 4 }, [], null).plannedPerEnvironmentMiB).toBe(4 * 2048 + 1024);
    expect(roomCapacity({ ...defaults, workerMemoryMiB: 512 }, [], null).plannedPerEnvironmentMiB).toBe(2 * 512 + 1024);
    expect(roomCapacity({ ...defaults, notebookMemoryMiB: 512 }, [], null).plannedPerEnvironmentMiB).toBe(2 * 2048 + 512);
  });

  it("admits a deploy that fits and refuses one that would overcommit, saying what to do", () => {
    expect(() => admitOrRefuse(defaults, [2, 2, 2, 2], 0, null)).not.toThrow();
    expect(() => admitOrRefuse(defaults, [2, 2, 2, 2], 2, null)).toThrow(
      /This machine is full: 4 environments already plan 20\.0 GiB and a new one needs 5\.0 GiB, but only 22\.0 GiB of 24\.0 GiB may be used \(2\.0 GiB is kept free\)\. .*tear down idle environments.*PORTAL_LOCAL_WORKER_MEMORY.*PORTAL_DEFAULT_WORKERS.*PORTAL_LOCAL_NOTEBOOK_MEMORY/,
    );
  });
});
