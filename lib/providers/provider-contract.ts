import { expect, it } from "vitest";
import { isReady } from "@/lib/status";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type Provider, type ProviderEvent } from "./contract";

// The Provider contract as tests: what the portal relies on from every provider, run
// against the local provider (real Dask processes), the AWS provider (moto, with the
// harness playing Fargate) and the fake one. Each runner supplies a Platform, the part
// of the world the provider only watches.

export interface Platform {
  /**
   * Does what the platform does after an operation (Fargate starting or stopping tasks,
   * CloudFormation finishing) and returns once the provider reports it settled.
   */
  settle(env: EnvironmentRef): Promise<EnvironmentSnapshot>;
  /** Makes the environment's scheduler write a log line; returns text the line contains. */
  schedulerWrites(env: EnvironmentRef): Promise<string>;
  /** What must happen before a deletion can go through on this platform (moto: drain tasks). */
  beforeDestroy?(env: EnvironmentRef): Promise<void>;
}

export interface ContractSubject {
  provider: Provider;
  platform: Platform;
  /** A fresh environment reference no provider has seen. */
  newEnvironment(): EnvironmentRef;
}

/** Polls describe() until `done` holds; after `timeoutMs` fails, showing the last snapshot. */
export async function describeUntil(
  provider: Provider,
  env: EnvironmentRef,
  done: (s: EnvironmentSnapshot) => boolean,
  timeoutMs = 90_000,
): Promise<EnvironmentSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await provider.describe(env);
    if (done(snapshot)) return snapshot;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last snapshot: ${JSON.stringify(snapshot, null, 2)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The n-th environment reference of a contract run: a valid id and stack name no provider has seen. */
export function contractEnvironment(prefix: string, n: number): EnvironmentRef {
  const hex = Buffer.from(prefix).toString("hex").slice(0, 8).padEnd(8, "0");
  return { id: `${hex}-0000-4000-8000-${String(n).padStart(12, "0")}`, stackName: `dask-${prefix}-${n}`, attendeeId: `a${n}`, attendeeEmail: `a${n}@example.org` };
}


const running = (s: EnvironmentSnapshot, role: "scheduler" | "worker") =>
  s.tasks.filter((t) => t.role === role && t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING").length;

/** Every event after `cursor`, reading until a read brings nothing new (at most `reads` reads). */
async function drain(provider: Provider, env: EnvironmentRef, cursor: string | null, reads = 20) {
  const events: ProviderEvent[] = [];
  for (let i = 0; i < reads; i++) {
    const batch = await provider.events(env, cursor);
    cursor = batch.cursor;
    if (batch.events.length === 0 && i > 0) break;
    events.push(...batch.events);
  }
  return { events, cursor };
}

/** Registers the contract's tests, in order, in the calling describe block. */
export function providerContract(subject: () => ContractSubject): void {
  let env: EnvironmentRef;
  let cursor: string | null = null;
  const s = () => subject();

  it("describes an environment it never deployed nor adopted as not found", async () => {
    const { provider } = s();
    await expect(provider.describe(s().newEnvironment())).rejects.toSatisfy((e) => ProviderError.is(e) && e.code === "not_found");
  });

  it("refuses a worker count outside 0 to its maximum, before creating anything", async () => {
    const { provider } = s();
    const other = s().newEnvironment();
    for (const workers of [-1, provider.maxWorkers + 1, 1.5]) {
      await expect(provider.deploy(other, { workers })).rejects.toSatisfy((e) => ProviderError.is(e) && e.code === "bad_request");
    }
    await expect(provider.describe(other)).rejects.toSatisfy((e) => ProviderError.is(e) && e.code === "not_found");
  });

  it("deploys once however often it is asked, and comes up with a scheduler and the workers asked for", async () => {
    const { provider, platform } = s();
    env = s().newEnvironment();
    await provider.deploy(env, { workers: 2 });
    await provider.deploy(env, { workers: 2 });
    const first = await provider.describe(env);
    expect(["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]).toContain(first.status);
    const ready = await platform.settle(env);
    expect(ready.status).toBe("CREATE_COMPLETE");
    expect(ready.progress.done).toBe(ready.progress.total);
    expect(ready.progress.total).toBeGreaterThan(0);
    expect(running(ready, "scheduler")).toBe(1);
    expect(running(ready, "worker")).toBe(2);
    expect(ready.desiredWorkers).toBe(2);
    expect(ready.links.schedulerAddress).toMatch(/^tcp:\/\/.+:8786$|^tls:\/\/127\.0\.0\.1:\d+$/);
    // Sizes as the platform reports them (moto leaves a task's CPU out; Fargate never does).
    expect(ready.tasks.every((t) => t.memory > 0)).toBe(true);
  });

  it("hands out stack events and log lines in time order, each once across cursors", async () => {
    const { provider, platform } = s();
    const first = await drain(provider, env, null);
    expect(first.events.some((e) => e.kind === "stack" && e.resource === env.stackName && e.status === "CREATE_COMPLETE")).toBe(true);
    const times = first.events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    const logKeys = first.events.flatMap((e) => (e.kind === "log" ? [e.key] : []));
    expect(new Set(logKeys).size).toBe(logKeys.length);

    const text = await platform.schedulerWrites(env);
    let found: ProviderEvent[] = [];
    cursor = first.cursor;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const next = await drain(provider, env, cursor);
      cursor = next.cursor;
      found = [...found, ...next.events];
      if (found.some((e) => e.kind === "log" && e.text.includes(text))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const lines = found.filter((e) => e.kind === "log" && e.text.includes(text));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ kind: "log", role: "scheduler" });
    expect(found.filter((e) => e.kind === "log" && logKeys.includes(e.key))).toEqual([]);
  });

  it("scales the workers, and refuses a count above its maximum", async () => {
    const { provider, platform } = s();
    await provider.scale(env, 3);
    const scaled = await platform.settle(env);
    expect(scaled.desiredWorkers).toBe(3);
    expect(running(scaled, "worker")).toBe(3);
    await expect(provider.scale(env, provider.maxWorkers + 1)).rejects.toSatisfy((e) => ProviderError.is(e) && e.code === "bad_request");
    expect((await provider.describe(env)).desiredWorkers).toBe(3);
  });

  it("says when the notebook is ready (it may follow the environment's own readiness) and makes an address for it when asked", async () => {
    const { provider } = s();
    const withNotebook = await describeUntil(provider, env, (snapshot) => snapshot.links.notebookReady === true);
    expect(isReady(withNotebook.status)).toBe(true);
    // An address of its own (aws), or a path the portal serves it under on its content origin (local, lib/content).
    expect(await provider.openNotebook(env)).toMatch(/^(https?:\/\/|\/environments\/)/);
  });

  it("answers its health check", async () => {
    expect((await s().provider.health()).ok).toBe(true);
  });

  it("knows, without asking again, that its backend answered", async () => {
    const { provider } = s();
    await provider.describe(env);
    expect(provider.lastKnownHealth().state).toBe("ok");
  });

  it("deletes the environment: DELETE_COMPLETE with no task left running, and deleting again is harmless", async () => {
    const { provider, platform } = s();
    await platform.beforeDestroy?.(env);
    await provider.destroy(env, "the contract");
    const gone = await platform.settle(env);
    expect(gone.status).toBe("DELETE_COMPLETE");
    expect(gone.tasks.filter((t) => t.lastStatus !== "STOPPED")).toEqual([]);
    await provider.destroy(env, "the contract");
    expect((await provider.describe(env)).status).toBe("DELETE_COMPLETE");
  });

  it("reads an adopted environment whose backend is gone as DELETE_COMPLETE", async () => {
    const { provider } = s();
    const lost = s().newEnvironment();
    await provider.adopt([lost]);
    expect((await provider.describe(lost)).status).toBe("DELETE_COMPLETE");
  });
}
