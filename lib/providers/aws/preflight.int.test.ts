// Preflight against moto server, which implements Service Quotas only for "vpc" and no
// default quotas at all: every line must still come back, saying what it could not read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto } from "../../../test/moto/index.mjs";
import type { CloudTools } from "../types";
import { createAwsClients } from "./clients";
import { loadAwsConfig } from "./config";
import { createAwsProvider } from "./provider";

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

/** The facilitator's tools of a provider with this configuration; Service Quotas may be sent elsewhere. */
function toolsFor(env: Record<string, string>, quotasEndpoint?: string): CloudTools {
  const config = loadAwsConfig({ AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: endpoint, PORTAL_EVENT_ID: "preflight-it", ...env });
  const clients = createAwsClients(config);
  if (quotasEndpoint) clients.quotas = createAwsClients({ ...config, endpoint: quotasEndpoint }).quotas;
  const provider = createAwsProvider(config, { clients });
  if (!provider.cloud) throw new Error("the AWS provider offers the facilitator's cloud tools");
  return provider.cloud;
}

describe("preflight", () => {
  it("solo mode: reads the VPC quota moto knows, assumes the documented EIP default, and cannot read the Fargate quota", async () => {
    const result = await toolsFor({ PORTAL_AWS_MODE: "solo" }).preflight(3);
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
    const result = await toolsFor({ PORTAL_AWS_MODE: "solo" }, "http://127.0.0.1:9").preflight(1);
    expect(result.lines.map((l) => l.quotaSource)).toEqual(["unknown", "assumed", "assumed"]);
    expect(result.lines.every((l) => l.sentence.length > 0)).toBe(true);
  });

  it("event mode without the event stack: nothing runs yet, and only the vCPU line applies", async () => {
    const result = await toolsFor({ PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "preflight-missing" }).preflight(40);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatchObject({ key: "fargate-vcpu", inUse: 0, needed: 120 });
  });
});
