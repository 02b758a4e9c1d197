// Preflight against moto server, which implements Service Quotas only for "vpc" and no
// default quotas at all: every line must still come back, saying what it could not read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto } from "../../../test/moto/index.mjs";
import { createAwsClients } from "./clients";
import { loadAwsConfig } from "./config";
import { createServiceQuotasClient } from "./extra-clients";
import { createRateLimiter } from "./limiter";
import { runPreflight, type PreflightDeps } from "./preflight";

// A moto of its own: the shared one may hold a stack whose CreateStack was refused, after
// which moto 5.2.5 answers 500 to every DescribeStacks without a stack name.
let moto: Awaited<ReturnType<typeof startMoto>>;
let endpoint: string;
beforeAll(async () => {
  moto = await startMoto();
  endpoint = moto.endpoint;
});
afterAll(() => moto?.stop());

process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

function depsFor(env: Record<string, string>, quotasEndpoint?: string): PreflightDeps {
  const config = loadAwsConfig({ AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: endpoint, PORTAL_EVENT_ID: "preflight-it", ...env });
  const clients = createAwsClients(config);
  return {
    config,
    cfn: clients.cfn,
    ecs: clients.ecs,
    ec2: clients.ec2,
    quotas: createServiceQuotasClient(quotasEndpoint ? { ...config, endpoint: quotasEndpoint } : config),
    limiter: createRateLimiter({ sizes: config.callBudget }),
  };
}

describe("preflight", () => {
  it("solo mode: reads the VPC quota moto knows, assumes the documented EIP default, and cannot read the Fargate quota", async () => {
    const result = await runPreflight(depsFor({ PORTAL_AWS_MODE: "solo" }), { attendees: 3 });
    const byKey = Object.fromEntries(result.lines.map((l) => [l.key, l]));
    expect(Object.keys(byKey)).toEqual(["fargate-vcpu", "vpcs", "elastic-ips"]);

    expect(byKey["fargate-vcpu"]).toMatchObject({ quota: null, quotaSource: "unknown", inUse: 0, needed: 9, status: "warn" });
    expect(byKey["fargate-vcpu"].sentence).toMatch(/could not be read/);

    expect(byKey.vpcs).toMatchObject({ quota: 5, quotaSource: "account", needed: 3 });
    expect(byKey.vpcs.inUse).toBeGreaterThanOrEqual(1); // moto's default VPC, and what other suites made
    expect(byKey.vpcs.status).toBe(byKey.vpcs.inUse! + 3 > 5 ? "fail" : byKey.vpcs.inUse! + 3 > 4 ? "warn" : "ok");

    expect(byKey["elastic-ips"]).toMatchObject({ quota: 5, quotaSource: "assumed", needed: 3 });
    expect(byKey["elastic-ips"].sentence).toContain("assumed to be AWS's documented default of 5 Elastic IPs");
  });

  it("answers with 'could not read' when Service Quotas cannot be reached at all", async () => {
    const result = await runPreflight(depsFor({ PORTAL_AWS_MODE: "solo" }, "http://127.0.0.1:9"), { attendees: 1 });
    expect(result.lines.map((l) => l.quotaSource)).toEqual(["unknown", "assumed", "assumed"]);
    expect(result.lines.every((l) => l.sentence.length > 0)).toBe(true);
  });

  it("event mode without the event stack: nothing runs yet, and only the vCPU line applies", async () => {
    const result = await runPreflight(depsFor({ PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "preflight-missing" }), { attendees: 40 });
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatchObject({ key: "fargate-vcpu", inUse: 0, needed: 120 });
  });
});
