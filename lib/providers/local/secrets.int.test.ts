// The processes the portal starts for an attendee (scheduler, worker, JupyterLab) run code the
// attendee writes: none of them may find the event's secrets in its environment.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUntil } from "../provider-contract";
import type { EnvironmentRef } from "@/lib/providers/contract";
import { LocalProvider, localSettingsFromEnv } from "./index";
import { findOwnedProcesses } from "./processes";
import { stopLocal } from "@/test/support/local";

const secrets = {
  EVENT_JOIN_CODE: "join-7d2f4a9c1e",
  FACILITATOR_PASSWORD: "pw-b83c55e0f1a4",
  NEXTAUTH_SECRET: "nextauth-0c9e7f3b2d8a6e41",
};

describe("a local environment's processes", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-secrets-"));
  const env: EnvironmentRef = { id: "22222222-2222-4222-8222-222222222222", stackName: "dask-secrets-bbbbbb", attendeeId: "a2", attendeeEmail: "b@example.com" };
  const saved: Record<string, string | undefined> = {};
  let provider: LocalProvider;

  beforeAll(() => {
    // The portal's own process holds the secrets (scripts/start.mjs puts them in its environment).
    for (const [name, value] of Object.entries(secrets)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    provider = new LocalProvider({ ...localSettingsFromEnv(dataDir), graceMs: 3000 }, { max: 2, default: 1 });
  });

  afterAll(async () => {
    await provider.destroy(env, "the test");
    stopLocal(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("carry none of the portal's secrets in their environment (/proc/<pid>/environ)", async () => {
    await provider.deploy(env, { workers: 1 });
    await describeUntil(provider, env, (s) => s.status === "CREATE_COMPLETE" && s.links.notebookReady === true, 150_000);

    // The scheduler, the worker and JupyterLab, each found by the marker in its own environment;
    // a short-lived child (a helper a process runs for a moment) may be gone when it is read.
    const environs: [number, string][] = [];
    for (const { pid } of findOwnedProcesses(dataDir)) {
      try {
        environs.push([pid, fs.readFileSync(`/proc/${pid}/environ`, "utf8")]);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    expect(environs.length).toBeGreaterThanOrEqual(3);
    for (const [pid, environ] of environs) {
      expect(environ).toContain("PATH=");
      for (const [name, value] of Object.entries(secrets)) {
        expect(environ, `${name} in process ${pid}`).not.toContain(value);
        expect(environ.split("\0").some((entry) => entry.startsWith(`${name}=`))).toBe(false);
      }
    }
  });
});
