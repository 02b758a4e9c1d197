import { getTableName } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import * as attendeeActions from "@/app/(attendee)/actions";
import * as facilitatorActions from "@/app/(facilitator)/actions";
import type { Viewer } from "@/lib/auth/session";
import { getDb } from "@/lib/db";
import { listAudit } from "@/lib/db/audit-queries";
import { updateEnvironment } from "@/lib/db/environment-queries";
import * as schema from "@/lib/db/schema";
import { deployEnvironment } from "@/lib/environments";
import type { ActionResult } from "@/lib/errors";
import { requestHelp } from "@/lib/room/help";
import type { Runtime } from "@/lib/runtime";
import { attendee, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";

// Issue 14's acceptance suite, server actions: every exported action called the way the
// browser calls it (one argument, anything at all), for each kind of visitor, and with
// inputs a script or a room can throw at it. The answer is always a typed result with a
// message a person can read, and refused input leaves the store as it was.
//
// Two seams are replaced, because they exist only inside a running Next.js server: who is
// signed in (next-auth reads the request's cookies) and the portal's runtime (here a fake
// provider over the in-memory store). `revalidatePath` needs Next's request store and is
// recorded instead. Everything between (defineAction, zod, commands, store) is the real code.

const current = vi.hoisted(() => ({ viewer: null as Viewer | null, rt: null as Runtime | null }));

vi.mock("@/lib/auth/session", async () => {
  const { PortalError } = await import("@/lib/errors");
  const { requireRole } = await import("@/lib/auth/roles");
  const requireViewer = async (role?: "attendee" | "facilitator") => {
    if (!current.viewer) throw new PortalError("unauthorized", "Sign in first.");
    return requireRole(current.viewer, role);
  };
  return { requireRole, requireViewer, getViewer: async () => current.viewer, pageViewer: requireViewer };
});

vi.mock("@/lib/runtime", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/runtime")>()),
  ready: async () => current.rt,
}));

vi.mock("next/cache", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/cache")>()),
  revalidatePath: vi.fn(),
}));

memoryStorePerTest();

const actions = { ...attendeeActions, ...facilitatorActions } as unknown as Record<string, (raw: unknown) => Promise<ActionResult<unknown>>>;
type Who = "anonymous" | "A" | "B" | "facilitator";
const WHO: Who[] = ["anonymous", "A", "B", "facilitator"];

/** A room as each test finds it: A has a running environment and an open help request; B has neither. */
async function room() {
  const { rt, fake } = fakeRuntime();
  const a = attendee("Ada");
  const b = attendee("Bob");
  const viewers: Record<Who, Viewer | null> = {
    anonymous: null,
    A: { id: a.id, role: "attendee", name: a.name },
    B: { id: b.id, role: "attendee", name: b.name },
    facilitator: { id: "facilitator", role: "facilitator", name: "Facilitator" },
  };
  const env = await deployEnvironment(rt, viewers.A!);
  fake.settle(env.id);
  updateEnvironment(env.id, { status: "CREATE_COMPLETE" });
  const help = requestHelp(rt, viewers.A!, "My workers?");
  current.rt = rt;
  return { viewers, envId: env.id, helpId: help.id, bId: b.id };
}

const LAB = "01-set-up-your-tools";
const LAB_WITH_CHECK = "03-deploy-the-dask-environment";
const SIGN_IN = "Sign in first.";
const ATTENDEES_ONLY = "This is for attendees: sign in with the event's join code.";
const FACILITATOR_ONLY = "Only the facilitator can do that.";
const NOT_FOUND = "Environment not found.";
const AWS_ONLY = "These checks apply to the AWS provider only.";
const IMAGE_ONLY = "The room's image is built in the cloud with the AWS provider in event mode only.";
const IN_MEMORY = "The store lives in memory (a test portal): there is nothing on disk to back up.";
const REHEARSAL_ONLY = "The dress rehearsal runs with the local provider, or the AWS provider in event mode (it needs the event stack's bucket and network).";

type Ctx = Awaited<ReturnType<typeof room>>;

/**
 * Every action: a valid input, and what each visitor gets for it ("ok" or the message).
 * The one table of who may run what.
 */
// prettier-ignore
const ACTIONS: Record<string, { valid: (c: Ctx) => unknown } & Record<Who, string>> = {
  deployAction:           { valid: () => undefined,                                          anonymous: SIGN_IN, A: "ok",             B: "ok",             facilitator: ATTENDEES_ONLY },
  scaleAction:            { valid: (c) => ({ envId: c.envId, workers: 3 }),                  anonymous: SIGN_IN, A: "ok",             B: NOT_FOUND,        facilitator: ATTENDEES_ONLY },
  teardownAction:         { valid: (c) => ({ envId: c.envId }),                              anonymous: SIGN_IN, A: "ok",             B: NOT_FOUND,        facilitator: ATTENDEES_ONLY },
  markLabDoneAction:      { valid: () => ({ slug: LAB, done: true }),                        anonymous: SIGN_IN, A: "ok",             B: "ok",             facilitator: ATTENDEES_ONLY },
  visitLabAction:         { valid: () => ({ slug: LAB }),                                    anonymous: SIGN_IN, A: "ok",             B: "ok",             facilitator: ATTENDEES_ONLY },
  checkLabAction:         { valid: () => ({ slug: LAB_WITH_CHECK }),                         anonymous: SIGN_IN, A: "ok",             B: "ok",             facilitator: ATTENDEES_ONLY },
  requestHelpAction:      { valid: () => ({ message: "Stuck on lab 3" }),                    anonymous: SIGN_IN, A: "ok",             B: "ok",             facilitator: ATTENDEES_ONLY },
  dismissDiagnosisAction: { valid: (c) => ({ envId: c.envId }),                              anonymous: SIGN_IN, A: "ok",             B: NOT_FOUND,        facilitator: ATTENDEES_ONLY },
  teardownOneAction:      { valid: (c) => ({ envId: c.envId }),                              anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  scaleToZeroAction:      { valid: (c) => ({ envId: c.envId }),                              anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  teardownAllAction:      { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  announceAction:         { valid: () => ({ message: "Coffee in the back" }),                anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  sendHintAction:         { valid: (c) => ({ message: "Look at the stack events", attendeeId: c.bId }), anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  redeployAction:         { valid: (c) => ({ attendeeIds: [c.bId] }),                        anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  saveEventAction:        { valid: () => ({ name: "Room 1", startsAt: "", endsAt: "" }),     anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  helpStatusAction:       { valid: (c) => ({ id: c.helpId, status: "coming" }),              anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  helpBundleAction:       { valid: (c) => ({ id: c.helpId }),                                anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  reconcileAction:        { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  preflightAction:        { valid: () => ({ attendees: 30 }),                                anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  createServiceLinkedRoleAction: { valid: () => ({ service: "ecs.amazonaws.com" }),           anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  requestQuotaIncreaseAction: { valid: () => ({ quotaCode: "L-3032A538", desired: 40 }),     anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  activateCostAllocationTagAction: { valid: () => undefined,                                 anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  eventStackStatusAction: { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  deployEventStackAction: { valid: () => ({ requestId: "req-1" }),                           anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  deleteEventStackAction: { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: AWS_ONLY },
  buildRoomImageAction:   { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: IMAGE_ONLY },
  startRehearsalAction:   { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: REHEARSAL_ONLY },
  backUpNowAction:        { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: IN_MEMORY },
  returnCodeKeptAction:   { valid: () => undefined,                                          anonymous: SIGN_IN, A: "ok",             B: "ok",             facilitator: ATTENDEES_ONLY },
  reissueReturnCodeAction:{ valid: (c) => ({ attendeeId: c.bId }),                           anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  signOutAttendeeAction:  { valid: (c) => ({ attendeeId: c.bId }),                           anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  signOutEveryoneAction:  { valid: () => undefined,                                          anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
  removeAttendeeAction:   { valid: (c) => ({ attendeeId: c.bId }),                           anonymous: SIGN_IN, A: FACILITATOR_ONLY, B: FACILITATOR_ONLY, facilitator: "ok" },
};

/** Who runs an action's fuzzing: its rightful role, so the input is what gets tested. */
const rightful = (name: string): Who => (ACTIONS[name].A === "ok" ? "A" : "facilitator");

const MB = "x".repeat(1024 * 1024);
/** What a script, a confused browser or a room of curious people may send for any value. */
const NASTY: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["empty string", ""],
  ["blank string", "   \t\n"],
  ["zero", 0],
  ["negative", -1],
  ["negative huge", -1e12],
  ["fraction", 2.5],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["max double", Number.MAX_VALUE],
  ["bigint", 10n ** 30n],
  ["true", true],
  ["false", false],
  ["array", [1, 2, 3]],
  ["empty object", {}],
  ["nested object", { a: { b: { c: [1, { d: "e" }] } } }],
  ["date", new Date(Number.NaN)],
  ["map", new Map([["a", 1]])],
  ["1 MB string", MB],
  ["1 MB of digits", "9".repeat(1024 * 1024)],
  ["numeric string with exponent", "1e3"],
  ["hex string", "0x10"],
  ["RTL override", "\u202Egnp.exe\u202C"],
  ["emoji", "🦄🔥👩🏽‍💻".repeat(8)],
  ["NUL", "a\u0000b"],
  ["lone surrogate", "\uD800"],
  ["script tag", "<script>window.__pwned=1</script>"],
  ["img onerror", '<img src=x onerror="window.__pwned=1">'],
  ["path traversal", "../../../../etc/passwd"],
  ["sql", "1; DROP TABLE attendees; --"],
  ["prototype key", JSON.parse('{"__proto__": {"polluted": true}}')],
];

/** Every row of every table but the audit log, as one comparable value. */
function storeContents(): string {
  const tables = Object.values(schema).filter((t) => typeof t === "object" && t !== null && Symbol.for("drizzle:IsDrizzleTable") in t);
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    const name = getTableName(table as never);
    if (name === "audit_log") continue;
    out[name] = getDb()
      .select()
      .from(table as never)
      .all();
  }
  return JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? String(v) : v));
}

const GENERIC = /something went wrong/i;

describe("the action table", () => {
  it("has a row for every exported server action", () => {
    expect(Object.keys(ACTIONS).sort()).toEqual(Object.keys(actions).sort());
  });

  it("compares the whole store: every table of the schema is read", async () => {
    await room();
    const contents = JSON.parse(storeContents()) as Record<string, unknown[]>;
    expect(Object.keys(contents)).toEqual(expect.arrayContaining(["attendees", "environments", "help_requests", "announcements", "lab_progress"]));
    expect(contents.environments).toHaveLength(1);
  });
});

describe("who may run each action", () => {
  const cells = Object.keys(ACTIONS).flatMap((name) => WHO.map((who) => [name, who] as const));
  it.each(cells)("%s as %s", async (name, who) => {
    const ctx = await room();
    current.viewer = ctx.viewers[who];
    const result = await actions[name](ACTIONS[name].valid(ctx));
    expect(result.ok ? "ok" : result.error).toBe(ACTIONS[name][who]);
  });
});

describe("fuzzed input", () => {
  it.each(Object.keys(ACTIONS))("%s answers every odd input with a readable result and half-creates nothing", async (name) => {
    const ctx = await room();
    current.viewer = ctx.viewers[rightful(name)];
    const valid = ACTIONS[name].valid(ctx);
    const inputs: [string, unknown][] = NASTY.map(([label, value]) => [`input = ${label}`, value]);
    if (valid && typeof valid === "object") {
      for (const field of Object.keys(valid)) {
        const rest = { ...(valid as Record<string, unknown>) };
        delete rest[field];
        inputs.push([`${field} missing`, rest]);
        for (const [label, value] of NASTY) inputs.push([`${field} = ${label}`, { ...valid, [field]: value }]);
      }
    }
    const problems: string[] = [];
    for (const [label, input] of inputs) {
      const before = storeContents();
      const audits = listAudit(100_000).length;
      let result: ActionResult<unknown>;
      try {
        result = await actions[name](input);
      } catch (err) {
        problems.push(`${label}: threw ${String(err)}`);
        continue;
      }
      if (result.ok) continue;
      if (typeof result.error !== "string" || !result.error.trim()) problems.push(`${label}: no message`);
      else if (GENERIC.test(result.error)) problems.push(`${label}: internal error "${result.error}"`);
      else if (result.error.length > 300) problems.push(`${label}: a ${result.error.length}-character message`);
      if (storeContents() !== before) problems.push(`${label}: refused ("${result.error}") but the store changed`);
      // A refusal may be audited, as a refusal, in a few words (never the input itself).
      for (const entry of listAudit(100_000).slice(0, listAudit(100_000).length - audits)) {
        if (entry.result !== "error" || (entry.detail ?? "").length > 300) problems.push(`${label}: audit ${JSON.stringify(entry).slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(Object.keys(ACTIONS).filter((name) => ACTIONS[name].valid({ envId: "e", helpId: 1 } as Ctx) !== undefined))(
    "%s refuses a 1 MB value in any field",
    async (name) => {
      const ctx = await room();
      current.viewer = ctx.viewers[rightful(name)];
      const valid = ACTIONS[name].valid(ctx) as Record<string, unknown>;
      for (const field of Object.keys(valid)) {
        const result = await actions[name]({ ...valid, [field]: MB });
        expect(result.ok, `${field} = 1 MB`).toBe(false);
      }
    },
  );
});
