// /api/health with the AWS provider, against moto behind the fault proxy, which counts every
// request that reaches "AWS": loading the page, anonymously or as the facilitator, asks AWS
// nothing, and what it says comes from the calls the portal's own pollers made.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eagerCadence } from "@/test/support/moto";
import { GET } from "@/app/api/health/route";
import { healthResponse } from "@/app/api/health/report";
import { portalConfig } from "@/lib/config";
import { openDb, useStore } from "@/lib/db";
import { Runtime } from "@/lib/runtime";
import { startFaultProxy } from "../../../test/fault-proxy/index.mjs";
import { loadAwsConfig } from "./config";
import { createAwsProvider } from "./provider";

const moto = inject("motoEndpoint");
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let rt: Runtime;
let restoreStore = () => {};
const holder = globalThis as unknown as { __portalRuntime?: Runtime };
const env = { id: "env-health", stackName: "dask-health-ada", attendeeId: "ada", attendeeEmail: "ada@example.org" };

const calls = () => (proxy.counts() as { total: number }).total;
async function health(detailed = false) {
  const res = detailed ? healthResponse(rt, true) : await GET();
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  proxy = await startFaultProxy({ target: moto });
  restoreStore = useStore(openDb(":memory:"));
  const config = loadAwsConfig(
    { AWS_REGION: "us-west-2", AWS_ENDPOINT_URL: proxy.endpoint, PORTAL_AWS_MODE: "solo", PORTAL_EVENT_ID: "it-health" },
    { cadence: eagerCadence },
  );
  rt = new Runtime(portalConfig({ PORTAL_DATA_DIR: "/nonexistent" }), createAwsProvider(config));
  // The route reads the process's runtime (lib/runtime.ts keeps it on globalThis).
  holder.__portalRuntime = rt;
});

afterAll(async () => {
  rt?.stop();
  holder.__portalRuntime = undefined;
  restoreStore();
  await proxy?.close();
});

describe("/api/health with the AWS provider", () => {
  it("says 'unknown' before the portal has called AWS, and 'starting' before the runtime started, without calling AWS", async () => {
    const before = calls();
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok", database: "ok", runtime: "starting", provider: "unknown" });
    expect(calls()).toBe(before);
  });

  it("answers from what the pollers saw: many loads, anonymous or the facilitator's, make no AWS request", async () => {
    await rt.start(); // reconciles with the cloud: the portal's own calls
    await rt.provider.describe(env).catch(() => undefined); // a poll: no such stack is still AWS answering
    proxy.counts(true);
    for (let i = 0; i < 20; i++) expect((await health()).body).toEqual({ status: "ok", database: "ok", runtime: "started", provider: "ok" });
    const facilitator = await health(true);
    expect(facilitator.body).toMatchObject({ status: "ok", provider: "ok", details: { provider: "aws", backend: "AWS answers in us-west-2 (solo mode)." } });
    expect(calls()).toBe(0);
  });

  it("turns degraded when a poll cannot reach AWS, telling anyone only status words", async () => {
    proxy.configure({ down: true });
    await rt.provider.describe(env).catch(() => undefined);
    proxy.configure({ down: false });
    proxy.counts(true);

    const anonymous = await health();
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: "degraded", database: "ok", runtime: "started", provider: "degraded" });
    const facilitator = await health(true);
    expect(facilitator.body).toMatchObject({ status: "degraded", details: { backend: expect.stringMatching(/Cannot reach AWS/) } });
    expect(calls()).toBe(0);

    await rt.provider.describe(env).catch(() => undefined);
    expect((await health()).body).toMatchObject({ status: "ok", provider: "ok" });
  });

  it("answers 503 when the database is unreachable, naming no file or error to anyone but the facilitator", async () => {
    const broken = openDb(":memory:");
    const restore = useStore(broken);
    broken.sqlite.close();
    const anonymous = await health();
    expect(anonymous.status).toBe(503);
    expect(anonymous.body).toEqual({ status: "error", database: "unreachable", runtime: "started", provider: "ok" });
    const facilitator = await health(true);
    expect(facilitator.status).toBe(503);
    expect(facilitator.body).toMatchObject({ details: { database: expect.stringMatching(/^error: /) } });
    restore();
  });
});
