import { describe, expect, it, vi } from "vitest";
import { fakeTimersPerTest } from "@/test/support/unit";
import { Channel } from "./channel";
import { OpenStreams } from "./open-streams";
import { sseResponse, type SseOptions } from "./response";

// SSE responses as a browser meets them: the per-person cap, a reader that falls behind,
// and the periodic sign-in check. The body is read as the browser would read it.

interface Talk {
  line: { text: string };
}

const pass = fakeTimersPerTest();

function viewer(open: OpenStreams, channel: Channel<Talk>, extra: Partial<SseOptions> = {}) {
  const abort = new AbortController();
  const response = sseResponse(new Request("http://portal/api/attendee/events", { signal: abort.signal }), {
    owner: "attendee:ada",
    open,
    subscribe: (sink) => channel.subscribe(sink, null, () => []),
    ...extra,
  });
  return { response, abort };
}

/** Everything the body holds until it ends. */
async function readAll(response: Response): Promise<string> {
  return await response.text();
}

const channel = () => new Channel<Talk>({ keep: 10, dropReason: "This page fell too far behind; it will reconnect." });

describe("a live stream response", () => {
  it("refuses one stream more than the cap with 429 and a message saying what to do; a closed tab makes room", async () => {
    const open = new OpenStreams(2);
    const talk = channel();
    const first = viewer(open, talk);
    viewer(open, talk);
    const third = viewer(open, talk);
    expect(third.response.status).toBe(429);
    const { error } = (await third.response.json()) as { error: string };
    expect(error).toMatch(/2 live portal views open/);
    expect(error).toMatch(/Close the portal in other tabs/);
    expect(open.count("attendee:ada")).toBe(2);
    // Someone else is not affected by Ada's tabs.
    expect(sseResponse(new Request("http://portal/x"), { owner: "attendee:bob", open, subscribe: () => () => {} }).status).toBe(200);

    first.abort.abort();
    expect(open.count("attendee:ada")).toBe(1);
    expect(talk.subscribers).toBe(1);
    expect(viewer(open, talk).response.status).toBe(200);
  });

  it("stops counting a stream the server ends (a reader that fell more bytes behind than allowed is dropped)", async () => {
    const open = new OpenStreams(8);
    const talk = channel();
    const slow = viewer(open, talk, { maxBufferedBytes: 64 * 1024 });
    // Nobody reads the body: 10 KiB lines pile up until the byte bound is passed.
    for (let i = 0; i < 10; i++) talk.publish([{ event: "line", data: { text: `${i}`.padEnd(10 * 1024, ".") } }]);
    expect(open.count("attendee:ada")).toBe(0);
    expect(talk.subscribers).toBe(0);
    const text = await readAll(slow.response);
    const delivered = text.match(/^event: line$/gm)?.length ?? 0;
    expect(delivered).toBeGreaterThan(3);
    expect(delivered).toBeLessThan(10);
    expect(text.trimEnd().split("\n\n").at(-1)).toBe(`event: dropped\ndata: {"reason":"This page fell too far behind; it will reconnect."}`);
  });

  it("ends the stream with one signed-out event once the viewer's sign-in no longer holds", async () => {
    const open = new OpenStreams(8);
    const talk = channel();
    let signedIn = true;
    const tab = viewer(open, talk, { recheck: async () => signedIn, recheckMs: 1_000 });
    await pass(3_000);
    talk.publish([{ event: "line", data: { text: "still here" } }]);
    expect(open.count("attendee:ada")).toBe(1);

    signedIn = false;
    await pass(1_000);
    expect(open.count("attendee:ada")).toBe(0);
    expect(talk.subscribers).toBe(0);
    const text = await readAll(tab.response);
    expect(text).toContain("still here");
    expect(text.match(/^event: signed-out$/gm)).toHaveLength(1);
    expect(text.trimEnd().split("\n\n").at(-1)).toMatch(/^event: signed-out\ndata: \{"reason":"You are no longer signed in/);
  });

  it("keeps the stream open when the check itself fails (an error is not a sign-out)", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const open = new OpenStreams(8);
    const tab = viewer(open, channel(), {
      recheck: () => {
        throw new Error("store busy");
      },
      recheckMs: 1_000,
    });
    await pass(5_000);
    expect(open.count("attendee:ada")).toBe(1);
    expect(logged).toHaveBeenCalledWith("could not recheck a stream's viewer:", "store busy");
    logged.mockRestore();
    tab.abort.abort();
    expect(open.count("attendee:ada")).toBe(0);
  });
});
