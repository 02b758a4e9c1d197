import path from "node:path";
import { describe, expect, it } from "vitest";
import { importGraph, valueCycles, type Edge } from "@/test/support/import-graph";

// The layers of docs/architecture.md, held by the imports themselves: what each part of the
// portal may import, read from every module under lib/, app/ and components/ (tests and
// benches aside). A rule broken fails here with the import that breaks it; an exception is
// listed below with its reason, and one no longer needed fails too, so the list stays true.

const root = path.resolve(__dirname, "..");
const edges = importGraph(root, ["lib", "app", "components"], ["proxy.ts", "instrumentation.ts"]);

const PROVIDERS = /^lib\/providers\/(aws|local|fake)\//;
const CONTRACT = /^lib\/providers\/contract\//;
const own = (from: string) => from.match(PROVIDERS)?.[0] ?? "";

interface Allowance {
  from: string;
  to: string;
  why: string;
}

/** Imports the rules below would refuse, allowed on purpose. */
const ALLOWED: Allowance[] = [
  {
    from: "lib/providers/aws/preflight-checks",
    to: "lib/image/pins",
    why: "the versions the repository pins (docker/requirements.txt) are one fact the portal, the image build and the preflight must read alike",
  },
  { from: "lib/providers/aws/room-image", to: "lib/image/pins", why: "the room's image is tagged with the repository's pins" },
  { from: "lib/providers/fake/room-image", to: "lib/image/pins", why: "the fake room image is tagged as the AWS one is" },
  { from: "lib/providers/aws/config", to: "lib/image/repo-commit", why: "the notebook's commit defaults to the repository's checkout" },
  { from: "lib/providers/aws/preflight-checks", to: "lib/image/repo-commit", why: "the preflight compares the pins at the notebook's commit" },
  {
    from: "lib/providers/fake/index",
    to: "lib/providers/local/capacity",
    why: "the fake provider plans a machine's memory with the local provider's own arithmetic, so the capacity card is tested against the real planner",
  },
  { from: "lib/providers/aws/room-log", to: "lib/poller", why: "the room's one log cursor reads on the portal's one polling loop" },
  { from: "lib/providers/local/environment", to: "lib/poller", why: "a local environment's supervision runs on the portal's one polling loop" },
  { from: "lib/backup/s3", to: "lib/providers/aws/errors", why: "the backup's own S3 calls speak AWS's errors, which the AWS provider already words" },
  { from: "lib/runtime", to: "lib/providers/index", why: "the runtime alone makes the provider the configuration names" },
];

/** What each part may import. */
const rules: { name: string; applies: (from: string) => boolean; allows: (e: Edge) => boolean }[] = [
  {
    name: "a provider imports only the contract, its own folder, the providers' shared helpers, status, errors and config",
    applies: (from) => PROVIDERS.test(from),
    allows: ({ from, to }) =>
      to.startsWith(own(from)) ||
      CONTRACT.test(to) ||
      to.startsWith("lib/providers/shared/") ||
      ["lib/status", "lib/errors", "lib/config"].includes(to),
  },
  {
    name: "the contract imports only itself and status",
    applies: (from) => CONTRACT.test(from),
    allows: ({ to }) => CONTRACT.test(to) || to === "lib/status",
  },
  {
    name: "the UI (app/, components/) reaches providers only through the contract",
    applies: (from) => from.startsWith("app/") || from.startsWith("components/"),
    allows: ({ to }) => !to.startsWith("lib/providers/") || CONTRACT.test(to),
  },
  {
    name: "nothing outside lib/providers imports a provider's insides",
    applies: (from) => !from.startsWith("lib/providers/"),
    allows: ({ to }) => !/^lib\/providers\/(aws|local|fake|shared|index)/.test(to),
  },
  {
    name: "lib/stream is transport: it imports itself and errors, and only the types its frames carry",
    applies: (from) => from.startsWith("lib/stream/"),
    allows: ({ to, typeOnly }) =>
      to.startsWith("lib/stream/") || to === "lib/errors" || (typeOnly && (CONTRACT.test(to) || ["lib/status", "lib/diagnosis/codes", "lib/rehearsal/phases"].includes(to))),
  },
  {
    name: "the store imports nothing above it but the configuration and the types of what it keeps",
    applies: (from) => from.startsWith("lib/db/"),
    allows: ({ to, typeOnly }) => to.startsWith("lib/db/") || to === "lib/config" || to === "lib/diagnosis/codes" || (typeOnly && CONTRACT.test(to)),
  },
];

const allowed = (e: Edge) => ALLOWED.some((a) => a.from === e.from && a.to === e.to);

describe("the portal's import graph", () => {
  it("reads a graph of the whole portal (a parser that found nothing would pass every rule)", () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.some((e) => e.from === "lib/runtime" && e.to === "lib/providers/index")).toBe(true);
    expect(edges.some((e) => e.from.startsWith("components/") && CONTRACT.test(e.to) && e.typeOnly)).toBe(true);
  });

  for (const rule of rules) {
    it(rule.name, () => {
      const broken = edges.filter((e) => rule.applies(e.from) && !rule.allows(e) && !allowed(e)).map((e) => `${e.from} → ${e.to}${e.typeOnly ? " (types)" : ""}`);
      expect(broken).toEqual([]);
    });
  }

  it("has no cycle of modules through values (types aside)", () => {
    expect(valueCycles(edges)).toEqual([]);
  });

  it("lists only exceptions still taken, each breaking a rule", () => {
    const stale = ALLOWED.filter((a) => !edges.some((e) => e.from === a.from && e.to === a.to)).map((a) => `${a.from} → ${a.to}`);
    expect(stale).toEqual([]);
    const needless = ALLOWED.filter((a) => {
      const e = edges.find((x) => x.from === a.from && x.to === a.to)!;
      return e && rules.every((r) => !r.applies(e.from) || r.allows(e));
    }).map((a) => `${a.from} → ${a.to}`);
    expect(needless).toEqual([]);
  });
});
