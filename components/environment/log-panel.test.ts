import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { LogPanel } from "./log-panel";
import type { LogLine } from "./use-environment-stream";

// What the log panel shows, rendered as the server would first send it.

const line = (id: number, text: string): LogLine => ({ id, at: "2026-12-02T09:00:00Z", task: "scheduler-1", role: "scheduler", text });

describe("the log panel", () => {
  it("says where earlier lines are missing instead of running the lines on either side together", () => {
    const html = renderToStaticMarkup(
      createElement(LogPanel, { lines: [line(3, "before"), { id: 40, gap: { missedFrom: 4, missedTo: 40 } }, line(41, "after")], taskIds: [] }),
    );
    const before = html.indexOf("before");
    const mark = html.indexOf("Earlier lines are no longer available");
    expect(before).toBeGreaterThan(-1);
    expect(mark).toBeGreaterThan(before);
    expect(html.indexOf("after")).toBeGreaterThan(mark);
    expect(html).toContain("2 lines");
  });
});
