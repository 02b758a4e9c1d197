import { describe, expect, it } from "vitest";
import { Channel, type Sink } from "./channel";
import type { FrameOf } from "./protocol";

interface Talk {
  line: { text: string };
  hello: { who: string };
}
type Frame = FrameOf<Talk>;

class Tab implements Sink<Talk> {
  frames: Frame[] = [];
  closed?: string;
  constructor(
    readonly key?: string,
    private readonly room = Infinity,
  ) {}
  send(frame: Frame) {
    if (this.frames.length >= this.room) return false;
    this.frames.push(frame);
    return true;
  }
  close(reason: string) {
    this.closed = reason;
  }
  texts() {
    return this.frames.flatMap((f) => (f.event === "line" ? [f.data.text] : []));
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
    const channel = new Channel<Talk>({ keep: 1, dropReason: "too slow", stored: (after) => stored.filter((f) => f.id > after) });
    channel.publish(lines("a", "b", "c"), { persist: (numbered) => stored.push(...numbered) });
    const tab = new Tab();
    channel.subscribe(tab, 1, greet);
    expect(tab.texts()).toEqual(["b", "c"]);
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
