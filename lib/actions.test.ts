import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { attendee, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { runAction } from "./actions";
import type { Viewer } from "./auth/session";
import { getAttendee } from "@/lib/db/attendee-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { PortalError } from "./errors";
import { ProviderError } from "@/lib/providers/contract";

// The one wrapper every server action goes through: who may run it, what input it
// accepts, what the audit log records, and what the browser is told when it fails.

memoryStorePerTest();

const spec = { input: z.object({ workers: z.number({ message: "Give a number." }).int("Give a whole number.") }), role: "attendee" as const };
const audit = { action: "scale" as const, target: () => "env-1", detail: (n: number) => `workers=${n}` };

function viewers() {
  const ada = attendee("Ada");
  return {
    ada: { id: ada.id, role: "attendee", name: "Ada" } satisfies Viewer,
    facilitator: { id: "facilitator", role: "facilitator", name: "Facilitator" } satisfies Viewer,
  };
}

describe("a server action", () => {
  it("runs its body with the parsed input and records the success", async () => {
    const { rt } = fakeRuntime();
    const { ada } = viewers();
    const result = await runAction({ ...spec, audit }, async ({ input }) => input.workers, ada, { workers: 3 }, async () => rt);
    expect(result).toEqual({ ok: true, data: 3 });
    expect(listAudit()).toMatchObject([{ action: "scale", actorId: ada.id, result: "ok", target: "env-1", detail: "workers=3" }]);
  });

  it("refuses another role before running anything", async () => {
    const { rt } = fakeRuntime();
    const { facilitator } = viewers();
    let ran = false;
    const result = await runAction(spec, async () => (ran = true), facilitator, { workers: 1 }, async () => rt);
    expect(result).toEqual({ ok: false, error: "This is for attendees: sign in with the event's join code." });
    expect(ran).toBe(false);
  });

  it("answers bad input with the schema's own words and the field, records the refusal, and runs nothing", async () => {
    const { rt } = fakeRuntime();
    const { ada } = viewers();
    let ran = false;
    for (const bad of [{ workers: "three" }, { workers: 2.5 }, undefined, "<script>", { workers: Number.NaN }]) {
      const result = await runAction(
        { ...spec, audit },
        async () => {
          ran = true;
          return 0;
        },
        ada,
        bad,
        async () => rt,
      );
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/^(Give a number\.|Give a whole number\.|Invalid input.*)$/);
    }
    expect(ran).toBe(false);
    expect(listAudit().every((a) => a.result === "error" && a.detail?.startsWith("refused:"))).toBe(true);
    const fields = await runAction(spec, async () => 0, ada, { workers: "x" }, async () => rt);
    expect(fields).toMatchObject({ ok: false, fieldErrors: { workers: ["Give a number."] } });
  });

  it("shows the portal's and the provider's own messages, and nothing of an unexpected error", async () => {
    const { rt } = fakeRuntime();
    const { ada } = viewers();
    const run = (error: unknown) =>
      runAction(
        { ...spec, audit },
        async () => {
          throw error;
        },
        ada,
        { workers: 1 },
        async () => rt,
      );
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await run(new PortalError("conflict", "Deploy one first."))).toEqual({ ok: false, error: "Deploy one first." });
    expect(await run(new ProviderError("throttled", "AWS is throttling the portal."))).toEqual({ ok: false, error: "AWS is throttling the portal." });
    const hidden = await run(new Error("SQLITE_BUSY at /work/data/portal.sqlite"));
    expect(hidden).toEqual({ ok: false, error: "Something went wrong on the portal. Try again." });
    expect(JSON.stringify(listAudit())).not.toContain("portal.sqlite");
    // The server's own log keeps what the browser is not told.
    expect(log).toHaveBeenCalledTimes(1);
    log.mockRestore();
  });

  it("recognises an error from another compiled copy of the error modules", async () => {
    // What a provider made in instrumentation.ts's bundle throws: same class, another copy.
    const foreign = Object.assign(new Error("No stack named dask-x exists."), { code: "not_found", [Symbol.for("dask-workshop.ProviderError")]: true });
    expect(ProviderError.is(foreign)).toBe(true);
    const { rt } = fakeRuntime();
    const result = await runAction(spec, async () => Promise.reject(foreign), viewers().ada, { workers: 1 }, async () => rt);
    expect(result).toEqual({ ok: false, error: "No stack named dask-x exists." });
  });

  it("counts as the attendee's activity: the roster's 'last activity' moves and the room hears of it", async () => {
    const { rt } = fakeRuntime();
    const { ada } = viewers();
    const heard: string[] = [];
    rt.signal.on((e) => e.kind === "attendee" && heard.push(e.attendeeId));
    const before = getAttendee(ada.id)!.lastSeenAt;
    await new Promise((r) => setTimeout(r, 5));
    await runAction(spec, async () => 1, ada, { workers: 1 }, async () => rt);
    expect(getAttendee(ada.id)!.lastSeenAt > before).toBe(true);
    expect(heard).toEqual([ada.id]);
  });
});
