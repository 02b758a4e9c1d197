import { describe, expect, it } from "vitest";
import { Channel } from "./channel";
import { RecordingTab } from "@/test/support/tab";
import type { FrameOf } from "./protocol";

interface Talk {
  line: { text: string };
  hello: { who: string };
  gap: { missedFrom: number; missedTo: number };
}
type Frame = FrameOf<Talk>;

class Tab extends RecordingTab<Talk> {
  texts() {
    return this.dataOf("line").map((line) => line.text);
  }
}

const lines = (...texts: string[]) => texts.map((text) => ({ event: "line" as const, data: { text } }));
const greet = () => [{ event: "hello" as const, data: { who: "new" } }];

describe("a live channel", () => {
  it("numbers what it publishes, and a reconnect with the last id gets exactly what it missed", () => {
    const channel = new Channel<Talk>({ keep: 100, dropReason: "too slow" });
    const tab = new Tab();
    const stop = channel.subscribe(tab, null, greet);
    channel.publish(lines("a", "b"));
    stop();
    channel.publish(lines("c", "d"));
    const back = new Tab();
    channel.subscribe(back, tab.frames.at(-1)!.id, greet);
    channel.publish(lines("e"));
    expect(tab.frames.map((f) => f.id)).toEqual([0, 1, 2]);
    expect(tab.texts()).toEqual(["a", "b"]);
    expect(back.texts()).toEqual(["c", "d", "e"]);
    expect(back.frames.map((f) => f.id)).toEqual([3, 4, 5]);
  });

  it("greets a subscriber it cannot resume: no id, an id it never issued, or one older than it keeps", () => {
    const channel = new Channel<Talk>({ keep: 2, lastId: 10, dropReason: "too slow" });
    channel.publish(lines("a", "b", "c"));
    for (const lastEventId of [null, 999, 10]) {
      const tab = new Tab();
      channel.subscribe(tab, lastEventId, greet);
      expect(tab.frames).toEqual([{ id: 13, event: "hello", data: { who: "new" } }]);
    }
    const recent = new Tab();
    channel.subscribe(recent, 11, greet);
    expect(recent.texts()).toEqual(["b", "c"]);
  });

  it("reads what memory no longer holds from storage", () => {
    const stored: Frame[] = [];
    const channel = new Channel<Talk>({ keep: 1, dropReason: "too slow", stored: (after, before) => stored.filter((f) => f.id > after && f.id < before) });
    channel.publish(lines("a", "b", "c"), { persist: (numbered) => stored.push(...numbered) });
    const tab = new Tab();
    channel.subscribe(tab, 1, greet);
    expect(tab.texts()).toEqual(["b", "c"]);
  });

  it("keeps what memory allows in bytes as well as in frames: big frames push old ones out sooner", () => {
    const channel = new Channel<Talk>({ keep: 100, keepBytes: 40_000, dropReason: "too slow" });
    channel.publish(lines("small one", "small two"));
    channel.publish(lines(...Array.from({ length: 5 }, (_, i) => `${i}`.padEnd(10_000, "x"))));
    const tab = new Tab();
    channel.subscribe(tab, 0, greet);
    // Ids 1 and 2 and the oldest big ones are gone: the reconnect is greeted instead.
    expect(tab.texts()).toEqual([]);
    expect(channel.since(4)?.map((f) => f.id)).toEqual([5, 6, 7]);
    expect(channel.since(3)).toBeNull();
  });

  it("marks a gap before the greeting when what a reconnect missed is held nowhere any more", () => {
    const stored: Frame[] = [];
    const channel = new Channel<Talk>({
      keep: 2,
      dropReason: "too slow",
      stored: (after, before) => stored.filter((f) => f.id > after && f.id < before),
      gap: (missed) => ({ event: "gap", data: missed }),
    });
    channel.publish(lines("a", "b", "c", "d", "e", "f"), { persist: (numbered) => stored.push(...numbered) });
    stored.splice(0, 3); // pruned: 1 to 3 are gone, 4 to 6 remain (5 and 6 in memory too)

    const behind = new Tab();
    channel.subscribe(behind, 1, () => [...(channel.since(3) ?? []), ...greet()]);
    expect(behind.frames).toEqual([
      { id: 3, event: "gap", data: { missedFrom: 2, missedTo: 3 } },
      { id: 4, event: "line", data: { text: "d" } },
      { id: 5, event: "line", data: { text: "e" } },
      { id: 6, event: "line", data: { text: "f" } },
      { id: 6, event: "hello", data: { who: "new" } },
    ]);

    const justInTime = new Tab();
    channel.subscribe(justInTime, 3, greet);
    expect(justInTime.texts()).toEqual(["d", "e", "f"]);
  });

  it("keeps frames meant for one subscriber from the others, live and on replay", () => {
    const channel = new Channel<Talk>({ keep: 10, dropReason: "too slow" });
    const ada = new Tab("ada");
    const bob = new Tab("bob");
    channel.subscribe(ada, null, () => []);
    channel.subscribe(bob, null, () => []);
    channel.publish(lines("for everyone"));
    channel.publish(lines("for ada"), { to: "ada" });
    expect(ada.texts()).toEqual(["for everyone", "for ada"]);
    expect(bob.texts()).toEqual(["for everyone"]);
    const bobAgain = new Tab("bob");
    channel.subscribe(bobAgain, 0, () => []);
    expect(bobAgain.texts()).toEqual(["for everyone"]);
  });

  it("drops a subscriber that cannot keep up, with the reason, and goes on for the others", () => {
    const channel = new Channel<Talk>({ keep: 10, dropReason: "could not keep up" });
    const slow = new Tab(undefined, 1);
    const fast = new Tab();
    channel.subscribe(slow, null, () => []);
    channel.subscribe(fast, null, () => []);
    channel.publish(lines("a", "b", "c"));
    expect(slow.closed).toBe("could not keep up");
    expect(slow.texts()).toEqual(["a"]);
    expect(fast.texts()).toEqual(["a", "b", "c"]);
    expect(channel.subscribers).toBe(1);
  });

  it("publishes nothing, and uses up no id, when storing the frames fails", () => {
    const channel = new Channel<Talk>({ keep: 10, dropReason: "too slow" });
    const tab = new Tab();
    channel.subscribe(tab, null, () => []);
    expect(() =>
      channel.publish(lines("lost"), {
        persist: () => {
          throw new Error("disk full");
        },
      }),
    ).toThrow("disk full");
    channel.publish(lines("kept"));
    expect(tab.frames).toEqual([{ id: 1, event: "line", data: { text: "kept" } }]);
  });
});
