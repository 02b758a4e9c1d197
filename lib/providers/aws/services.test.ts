import type { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./limiter";
import { ServiceCounts } from "./services";

/** An ECS client that answers DescribeServices from a table and records each call's services. */
function fakeEcs(desired: Map<string, number>) {
  const calls: string[][] = [];
  const client = {
    send: async (command: DescribeServicesCommand) => {
      const names = command.input.services ?? [];
      calls.push(names);
      return { services: names.map((name) => ({ serviceName: name, desiredCount: desired.get(name) ?? 0 })) };
    },
  } as unknown as ECSClient;
  return { client, calls };
}

const limiter = createRateLimiter({ sizes: { "ecs-read": { ratePerSecond: 1000, burst: 1000 } } });
const names = Array.from({ length: 25 }, (_, i) => `worker-${i}`);

describe("ServiceCounts", () => {
  it("reads a room's services ten to a call, and one that must be fresh costs one call, not the room", async () => {
    const desired = new Map(names.map((name) => [name, 2]));
    const ecs = fakeEcs(desired);
    const counts = new ServiceCounts(ecs.client, limiter);
    // The room's streams all ask at once: the ones that wait for the first call come along together.
    const fresh = Date.now() - 30_000;
    const first = await Promise.all(names.map((name) => counts.desired("room", name, fresh)));
    expect(first).toEqual(names.map(() => 2));
    const afterFirstRead = ecs.calls.length;
    expect(afterFirstRead).toBe(1 + Math.ceil((names.length - 1) / 10));

    // The notebook of worker-7 scaled it to 5; the portal invalidates and asks again.
    desired.set("worker-7", 5);
    counts.invalidate("room", "worker-7");
    expect(await counts.desired("room", "worker-7", Date.now() - 60_000)).toBe(5);
    expect(ecs.calls.length).toBe(afterFirstRead + 1);
    const last = ecs.calls[ecs.calls.length - 1];
    expect(last).toContain("worker-7");
    // The call's free places carried the stalest other services along.
    expect(last).toHaveLength(10);
  });

  it("reads a room whose counts all fell due together one call at a time, as each is asked for, not in one burst", async () => {
    const ecs = fakeEcs(new Map(names.map((name) => [name, 2])));
    const counts = new ServiceCounts(ecs.client, limiter);
    await Promise.all(names.map((name) => counts.desired("room", name, Date.now() - 30_000)));
    const before = ecs.calls.length;
    // Every count is now older than asked for: one environment's poll costs one call of ten, its own first.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = Date.now() - 1;
    expect(await counts.desired("room", "worker-13", later)).toBe(2);
    expect(ecs.calls.length).toBe(before + 1);
    expect(ecs.calls.at(-1)![0]).toBe("worker-13");
    expect(ecs.calls.at(-1)).toHaveLength(10);
    // Those it carried along are fresh for the next asker; one it did not carry costs the next call.
    const carried = ecs.calls.at(-1)![1];
    expect(await counts.desired("room", carried, later)).toBe(2);
    expect(ecs.calls.length).toBe(before + 1);
  });

  it("answers with the count at hand when a refresh is slow, and the new one once it lands", async () => {
    const desired = new Map([["w", 2]]);
    let release: (() => void) | undefined;
    let slow = false;
    const client = {
      send: async (command: DescribeServicesCommand) => {
        if (slow) await new Promise<void>((resolve) => (release = resolve));
        return { services: (command.input.services ?? []).map((name) => ({ serviceName: name, desiredCount: desired.get(name) })) };
      },
    } as unknown as ECSClient;
    const counts = new ServiceCounts(client, limiter);
    expect(await counts.desired("c", "w", Date.now())).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    slow = true;
    desired.set("w", 4);
    expect(await counts.desired("c", "w", Date.now(), 20)).toBe(2);
    release?.();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await counts.desired("c", "w", 0, 20)).toBe(4);
  });
});
