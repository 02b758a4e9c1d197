import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, logsSince, selectNewLines, type LogLine } from "./events";

const line = (at: number, n: number, stack = "dask-ada"): LogLine => ({
  key: `${stack}/worker/t1:${n}`,
  at,
  stream: `${stack}/worker/t1`,
  text: `line ${n}`,
});
const texts = (r: ReturnType<typeof selectNewLines>) => r.events.map((e) => (e.kind === "log" ? e.text : ""));

describe("log cursor", () => {
  it("hands out each line once, even when reads overlap and lines of other stacks are mixed in", () => {
    const first = selectNewLines([line(1000, 1), line(1000, 2), line(900, 9, "dask-bob")], "dask-ada", decodeCursor(null), 5000);
    expect(texts(first)).toEqual(["line 1", "line 2"]);
    const cursor = decodeCursor(encodeCursor({ ...decodeCursor(null), ...first.cursor }));
    const again = selectNewLines([line(1000, 1), line(1000, 2), line(1500, 3)], "dask-ada", cursor, 5000);
    expect(texts(again)).toEqual(["line 3"]);
  });

  it("still hands out a line that became visible after later ones, within the overlap", () => {
    const first = selectNewLines([line(2000, 2)], "dask-ada", decodeCursor(null), 5000);
    const cursor = { ...decodeCursor(null), ...first.cursor };
    const late = selectNewLines([line(1990, 1), line(2000, 2)], "dask-ada", cursor, 5000);
    expect(texts(late)).toEqual(["line 1"]);
  });

  it("reads cursors written before the overlap existed without repeating their last lines", () => {
    const legacy = encodeCursor({ ...decodeCursor(null), logsAt: 1000, logKeysAt: ["dask-ada/worker/t1:1"] });
    const next = selectNewLines([line(1000, 1), line(1000, 2)], "dask-ada", decodeCursor(legacy), 5000);
    expect(texts(next)).toEqual(["line 2"]);
  });
});

describe("where an environment's log read starts", () => {
  const created = Date.parse("2026-12-06T22:00:00Z");
  const overlap = 10_000;

  it("starts before the stack for a new cursor, and before the newest line after that", () => {
    expect(logsSince({ logsAt: 0 }, created, overlap)).toBe(created - 120_000);
    expect(logsSince({ logsAt: created + 60_000 }, created, overlap)).toBe(created + 50_000);
  });

  it("in a room, an environment with no line yet is not read from its stack's start again once its own read caught it up", () => {
    // Its stack is half an hour older than the catch-up read: the room's buffer (ten minutes) covers only what came after the read.
    const caughtUp = created + 30 * 60_000;
    expect(logsSince({ logsAt: 0 }, created, overlap, caughtUp)).toBe(caughtUp - overlap);
    // A line newer than the catch-up moves the start on as before.
    expect(logsSince({ logsAt: caughtUp + 60_000 }, created, overlap, caughtUp)).toBe(caughtUp + 50_000);
  });
});
