// The AWS provider against moto server. Moto is not Fargate: the "Fargate player"
// (test/moto/fargate.mjs) starts and stops tasks and writes their logs, and the
// harness makes the templates moto-ready (test/moto/moto_template.py) — the templates
// in cloudformation/ are deployed as they are otherwise.
import { createServer, connect, type Server, type Socket } from "node:net";
import { eagerCadence } from "@/test/support/moto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  deployEventStack,
  prepareStackDeletion,
  motoTemplateTransform,
  playFargate,
  putLogLines,
  stopTask,
} from "../../../test/moto/index.mjs";
import { LOG_LINE_MAX_BYTES, type EnvironmentRef } from "@/lib/providers/contract";
import { loadAwsConfig, type AwsProviderConfig } from "./config";
import { createAwsProvider } from "./provider";

const endpoint = inject("motoEndpoint");
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

function configFor(mode: "solo" | "event", extra: Record<string, string> = {}, overrides: Partial<AwsProviderConfig> = {}) {
  return loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: endpoint,
      PORTAL_AWS_MODE: mode,
      PORTAL_EVENT_ID: `it-${mode}`,
      PORTAL_EVENT_STACK: mode === "event" ? "it-event" : undefined,
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
      PORTAL_DASHBOARD_CIDR: "203.0.113.7/32",
      ...extra,
    },
    { templateTransform: motoTemplateTransform, cadence: eagerCadence, ...overrides },
  );
}

function envRef(mode: string, attendee: string): EnvironmentRef {
  return { id: `env-${mode}-${attendee}`, stackName: `dask-${mode}-${attendee}`, attendeeId: attendee, attendeeEmail: `${attendee}@example.org` };
}

describe.each(["solo", "event"] as const)("%s mode", (mode) => {
  const provider = createAwsProvider(configFor(mode));
  const env = envRef(mode, "ada");

  beforeAll(async () => {
    if (mode === "event") await deployEventStack(endpoint, { stackName: "it-event", eventId: "it-event" });
  });

  it("deploys once, however often the button is clicked, and reports progress", async () => {
    await provider.deploy(env, { workers: 2 });
    await provider.deploy(env, { workers: 2 });
    const snap = await provider.describe(env);
    expect(snap.status).toBe("CREATE_COMPLETE");
    expect(snap.progress.total).toBeGreaterThan(10);
    expect(snap.progress.done).toBe(snap.progress.total);
    expect(snap.desiredWorkers).toBe(2);
    expect(snap.links.schedulerAddress).toBe(`tcp://${env.stackName}-scheduler.${mode === "event" ? "it-event" : env.stackName}.dask:8786`);
    const stacks = await provider.listStacks!();
    expect(stacks.filter((s) => s.attendeeId === "ada")).toEqual([
      { stackName: env.stackName, attendeeId: "ada", environmentId: env.id, status: "CREATE_COMPLETE" },
    ]);
  });

  it("reports the scheduler and worker tasks with their roles and statuses", async () => {
    await playFargate(endpoint, env.stackName);
    const snap = await provider.describe(env);
    const running = snap.tasks.filter((t) => t.lastStatus === "RUNNING");
    expect(running.map((t) => t.role).sort()).toEqual(["scheduler", "worker", "worker"]);
    expect(snap.tasks[0]).toMatchObject({ role: "scheduler", desiredStatus: "RUNNING" });
    expect(running.every((t) => t.memory > 0)).toBe(true);
  });

  it("streams log lines in time order, each once across calls", async () => {
    const snap = await provider.describe(env);
    const worker = snap.tasks.find((t) => t.role === "worker")!;
    const t0 = Date.now() - 60_000;
    await putLogLines(endpoint, {
      stackName: env.stackName,
      role: "worker",
      taskId: worker.id,
      lines: [
        { at: t0 + 30, text: "third" },
        { at: t0 + 10, text: "first" },
        { at: t0 + 20, text: "second" },
        { at: t0 + 20, text: "second, same millisecond" },
      ],
    });
    const first = await provider.events(env, null);
    const logs = first.events.filter((e) => e.kind === "log");
    const texts = logs.map((e) => (e.kind === "log" ? e.text : ""));
    expect(texts.indexOf("first")).toBeLessThan(texts.indexOf("second"));
    expect(texts.indexOf("second")).toBeLessThan(texts.indexOf("third"));
    expect(new Set(logs.map((e) => (e.kind === "log" ? e.key : ""))).size).toBe(logs.length);
    expect(first.events.some((e) => e.kind === "stack" && e.status === "CREATE_COMPLETE")).toBe(true);

    const again = await provider.events(env, first.cursor);
    expect(again.events).toEqual([]);

    await putLogLines(endpoint, { stackName: env.stackName, role: "worker", taskId: worker.id, lines: [{ text: "fourth" }] });
    const more = await provider.events(env, again.cursor);
    expect(more.events.map((e) => (e.kind === "log" ? e.text : e.status))).toEqual(["fourth"]);

    // CloudWatch takes up to 256 KiB on one line: the portal passes on its start, marked as cut.
    await putLogLines(endpoint, { stackName: env.stackName, role: "worker", taskId: worker.id, lines: [{ text: "z".repeat(200 * 1024) }] });
    const long = await provider.events(env, more.cursor);
    expect(long.events.map((e) => (e.kind === "log" ? e.text : e.status))).toEqual([`${"z".repeat(LOG_LINE_MAX_BYTES)}… [line truncated: 200.0 KiB]`]);
  });

  it("scales the worker service and shows a stopped task with its reason", async () => {
    await provider.scale(env, 3);
    expect((await provider.describe(env)).desiredWorkers).toBe(3);
    const running = await playFargate(endpoint, env.stackName);
    expect(running.worker).toHaveLength(3);

    await stopTask(endpoint, { stackName: env.stackName, taskId: running.worker[0], reason: "Essential container in task exited" });
    const snap = await provider.describe(env);
    const stopped = snap.tasks.find((t) => t.id === running.worker[0]);
    expect(stopped).toMatchObject({ role: "worker", desiredStatus: "STOPPED", stoppedReason: "Essential container in task exited" });
    await expect(provider.scale(env, 99)).rejects.toMatchObject({ code: "bad_request" });
  });

  it("opens the notebook: the console's link in solo mode; in event mode a presigned URL or a clear refusal", async () => {
    expect((await provider.describe(env)).links.notebookReady).toBe(true);
    if (mode === "solo") {
      expect(await provider.openNotebook(env)).toMatch(/^https:\/\/us-west-2\.console\.aws\.amazon\.com\/sagemaker\//);
    } else {
      // Moto has no presigned URLs (reach.int.test.ts plays them): never the console instead.
      await expect(provider.openNotebook(env)).rejects.toMatchObject({ message: expect.not.stringMatching(/console\.aws/) });
    }
  });

  it("deletes the stack and follows it to DELETE_COMPLETE", async () => {
    await prepareStackDeletion(endpoint, env.stackName);
    await provider.destroy(env, "the test");
    const snap = await provider.describe(env);
    expect(snap.status).toBe("DELETE_COMPLETE");
    expect(snap.tasks).toEqual([]);
    expect((await provider.listStacks!()).filter((s) => s.attendeeId === "ada")).toEqual([]);
  });
});

// Runs after the suites above: moto keeps a half-made record of a refused stack that
// fails every later DescribeStacks listing (a moto quirk; AWS keeps nothing).
describe("a create that AWS refuses", () => {
  it("shows CREATE_FAILED with AWS's reason", async () => {
    const provider = createAwsProvider(configFor("event", { PORTAL_EVENT_STACK: "no-such-event" }));
    const env = envRef("refused", "bob");
    await expect(provider.deploy(env, { workers: 0 })).rejects.toMatchObject({ code: "bad_request" });
    const snap = await provider.describe(env);
    expect(snap.status).toBe("CREATE_FAILED");
    expect(snap.reason).toMatch(/no-such-event-/);
  });

  it("rejects a stack name CloudFormation would refuse, before calling AWS", async () => {
    const provider = createAwsProvider(configFor("solo"));
    await expect(provider.deploy({ ...envRef("x", "y"), stackName: "1-bad_name" }, { workers: 0 })).rejects.toMatchObject({
      code: "bad_request",
    });
  });
});

describe("when AWS cannot be reached", () => {
  let proxy: Server;
  let down = false;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    const target = new URL(endpoint);
    proxy = createServer((client) => {
      if (down) return client.destroy();
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it("describe shows the last known state, marked degraded, and recovers by itself", async () => {
    const address = proxy.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const provider = createAwsProvider(configFor("solo", { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }));
    const env = envRef("flaky", "cy");
    await provider.deploy(env, { workers: 0 });
    expect((await provider.describe(env)).degraded).toBeUndefined();

    down = true;
    for (const s of sockets) s.destroy();
    const degraded = await provider.describe(env);
    expect(degraded.status).toBe("CREATE_COMPLETE");
    expect(degraded.degraded).toMatch(/Cannot reach AWS/);
    expect(degraded.degraded).not.toMatch(/\n|at /);

    down = false;
    expect((await provider.describe(env)).degraded).toBeUndefined();
    await prepareStackDeletion(endpoint, env.stackName);
    await provider.destroy(env, "the test");
  });

  it("bad credentials become a plain 'credentials' error", async () => {
    const provider = createAwsProvider(
      configFor("solo", {}, {
        credentials: async () => {
          throw Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
        },
      }),
    );
    await expect(provider.describe(envRef("nocreds", "dee"))).rejects.toMatchObject({ code: "credentials" });
  });
});
