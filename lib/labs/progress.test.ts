import { describe, expect, it, vi } from "vitest";
import { runAction } from "@/lib/actions";
import type { Viewer } from "@/lib/auth/session";
import { labsDone } from "@/lib/db/lab-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { attendee, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { listLabs } from "./index";
import { labDoneAudit, labDoneSpec, markLabDone } from "./progress";

// "Mark this lab as done" through the wrapper every server action uses: whatever the browser
// sends, the attendee gets a message back (never a 500), and only a real lab is ever marked.

memoryStorePerTest();

function run(viewer: Viewer, raw: unknown) {
  const { rt } = fakeRuntime();
  return runAction({ ...labDoneSpec, audit: labDoneAudit }, markLabDone, viewer, raw, async () => rt);
}

function ada(): Viewer {
  const row = attendee("Ada");
  return { id: row.id, role: "attendee", name: row.name };
}

describe("marking a lab done", () => {
  it("marks a real lab done and not done again, each change audited", async () => {
    const viewer = ada();
    const slug = listLabs()[1].slug;
    expect(await run(viewer, { slug, done: true })).toEqual({ ok: true, data: { done: true } });
    expect([...labsDone(viewer.id)]).toEqual([slug]);
    expect(await run(viewer, { slug, done: false })).toEqual({ ok: true, data: { done: false } });
    expect(labsDone(viewer.id).size).toBe(0);
    expect(listAudit().map((a) => [a.action, a.target, a.result])).toEqual(
      expect.arrayContaining([
        ["lab-done", slug, "ok"],
        ["lab-undone", slug, "ok"],
      ]),
    );
  });

  it("answers bad input with a message and marks nothing", async () => {
    const viewer = ada();
    const slug = listLabs()[0].slug;
    const cases: [unknown, string][] = [
      [{ slug: "no-such-lab", done: true }, "No such lab."],
      [{ slug: "../../etc/passwd", done: true }, "No such lab."],
      [{ slug: "x".repeat(10_000), done: true }, "No such lab."],
      [{ slug: 42, done: true }, "Invalid input"],
      [{ slug, done: "yes" }, "Say whether the lab is done."],
      [{ slug }, "Say whether the lab is done."],
      [null, "Invalid input"],
      ["<script>alert(1)</script>", "Invalid input"],
      [[slug, true], "Invalid input"],
    ];
    for (const [raw, message] of cases) {
      const result = await run(viewer, raw);
      expect(result.ok, JSON.stringify(raw)?.slice(0, 60)).toBe(false);
      if (!result.ok) expect(result.error).toContain(message);
    }
    expect(labsDone(viewer.id).size).toBe(0);
  });

  it("turns a failure while reading the input into the portal's plain message, not a thrown error", async () => {
    const viewer = ada();
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const hostile = {
      get slug(): string {
        throw new Error("ENOENT: /srv/portal/content/labs");
      },
      done: true,
    };
    expect(await run(viewer, hostile)).toEqual({ ok: false, error: "Something went wrong on the portal. Try again." });
    log.mockRestore();
    expect(labsDone(viewer.id).size).toBe(0);
  });

  it("is for attendees: the facilitator is refused before anything is read", async () => {
    const result = await run({ id: "facilitator", role: "facilitator", name: "Facilitator" }, { slug: listLabs()[0].slug, done: true });
    expect(result).toEqual({ ok: false, error: "This is for attendees: sign in with the event's join code." });
  });
});
