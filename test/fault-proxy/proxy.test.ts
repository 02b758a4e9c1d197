// The fault proxy itself: AWS's own throttling shapes reach the SDK as the error names
// the portal's limiter knows, outages look like a dropped connection, and every call is
// counted under its API.
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ListClustersCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isThrottling, isUnreachable } from "../../lib/providers/aws/errors";
import { motoClients } from "../moto/index.mjs";
import { startFaultProxy } from "./index.mjs";

const moto = inject("motoEndpoint");
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: moto });
});
afterAll(() => proxy.close());

const control = (path: string, body?: unknown) =>
  fetch(`${proxy.endpoint}/__proxy/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) }).then(
    (r) => r.json() as Promise<Record<string, unknown>>,
  );

describe("fault proxy", () => {
  it("passes calls through and counts them per API", async () => {
    await control("reset", {});
    const aws = motoClients(proxy.endpoint);
    await aws.cfn.send(new DescribeStacksCommand({}));
    await aws.ecs.send(new ListClustersCommand({}));
    await aws.logs.send(new DescribeLogGroupsCommand({}));
    const counts = (await control("counts")) as { calls: Record<string, number>; upstreamMs: Record<string, number>; total: number };
    expect(counts.calls).toEqual({
      "cloudformation.DescribeStacks": 1,
      "ecs.ListClusters": 1,
      "logs.DescribeLogGroups": 1,
    });
    expect(counts.total).toBe(3);
    // Moto's own answer time is kept per API, so a benchmark can tell it from the portal's.
    expect(Object.keys(counts.upstreamMs).sort()).toEqual(Object.keys(counts.calls).sort());
  });

  it("throttles in each protocol's own shape", async () => {
    await control("config", { throttleShare: 1 });
    const aws = motoClients(proxy.endpoint);
    const failures = await Promise.all([
      aws.cfn.send(new DescribeStacksCommand({})).catch((e: unknown) => e),
      aws.ecs.send(new ListClustersCommand({})).catch((e: unknown) => e),
      aws.logs.send(new DescribeLogGroupsCommand({})).catch((e: unknown) => e),
    ]);
    expect(failures.map((e) => (e as Error).name)).toEqual(["Throttling", "ThrottlingException", "ThrottlingException"]);
    expect(failures.every(isThrottling)).toBe(true);
    await control("reset", {});
  });

  it("goes down for a while, then answers again", async () => {
    await control("config", { downForMs: 800 });
    const aws = motoClients(proxy.endpoint);
    const error = await aws.ecs.send(new ListClustersCommand({})).catch((e: unknown) => e);
    expect(isUnreachable(error)).toBe(true);
    await new Promise((r) => setTimeout(r, 900));
    await expect(aws.ecs.send(new ListClustersCommand({}))).resolves.toBeDefined();
    const counts = (await control("counts")) as { refused: Record<string, number> };
    expect(counts.refused["ecs.ListClusters"]).toBeGreaterThanOrEqual(1);
  });
});
