import { describe, expect, it } from "vitest";
import { Refreshing } from "./refreshing";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A loader whose answers the test releases by hand, counting its calls. */
function gatedLoader() {
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  let calls = 0;
  const load = () =>
    new Promise<number>((resolve, reject) => {
      calls += 1;
      pending.push({ resolve, reject });
    });
  return {
    load,
    get calls() {
      return calls;
    },
    answer: (value: number) => pending.shift()?.resolve(value),
    fail: (error: Error) => pending.shift()?.reject(error),
  };
}

/** A Refreshing that has loaded 1 a moment ago, and its loader. */
async function loadedOnce(retryMs: number) {
  const loader = gatedLoader();
  const value = new Refreshing(loader.load, retryMs);
  const first = value.get(0);
  loader.answer(1);
  await first;
  await sleep(5);
  return { loader, value };
}

describe("Refreshing.getSoon", () => {
  it("waits for the first load: there is nothing older to show", async () => {
    const loader = gatedLoader();
    const value = new Refreshing(loader.load, 1_000);
    const first = value.getSoon(Date.now(), 10);
    await sleep(30);
    loader.answer(1);
    expect(await first).toBe(1);
  });

  it("answers with the value at hand when the reload is slow, and the next caller gets the new one", async () => {
    const { loader, value } = await loadedOnce(1_000);
    expect(await value.getSoon(Date.now(), 20)).toBe(1);
    // The reload it started is still running: a second caller shares it rather than starting another.
    expect(await value.getSoon(Date.now(), 20)).toBe(1);
    expect(loader.calls).toBe(2);
    loader.answer(2);
    await sleep(5);
    expect(await value.getSoon(0, 20)).toBe(2);
  });

  it("returns the reload's value when it comes within the wait", async () => {
    const { loader, value } = await loadedOnce(1_000);
    const soon = value.getSoon(Date.now(), 500);
    loader.answer(2);
    expect(await soon).toBe(2);
  });

  it("still reports a failed reload, so the stream can show it is degraded", async () => {
    const { loader, value } = await loadedOnce(60_000);
    const stale = value.getSoon(Date.now(), 10);
    expect(await stale).toBe(1);
    loader.fail(new Error("AWS is down"));
    await sleep(5);
    await expect(value.getSoon(Date.now(), 10)).rejects.toThrow("AWS is down");
  });
});
