import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe } from "vitest";
import { isQuiet } from "@/lib/status";
import { contractEnvironment, describeUntil, providerContract } from "../provider-contract";
import { LocalProvider, localSettingsFromEnv } from "./index";
import { stopLocal } from "@/test/support/local";

// The provider contract on real Dask processes: the platform is this machine, which
// starts and stops the tasks by itself; settling is waiting for it.
describe("the local provider keeps the provider contract", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-contract-"));
  const settings = { ...localSettingsFromEnv(dataDir), graceMs: 3000 };
  const provider = new LocalProvider(settings, { max: 4, default: 2 });
  const python = path.join(settings.pythonEnv, "bin", "python");
  let n = 0;

  afterAll(() => {
    stopLocal(dataDir);
  });

  providerContract(() => ({
    provider,
    newEnvironment: () => contractEnvironment("local", ++n),
    platform: {
      settle: (env) => describeUntil(provider, env, isQuiet),
      async schedulerWrites(env) {
        // A real client connecting makes the real scheduler log it.
        const { links } = await provider.describe(env);
        const code = "import sys\nfrom distributed import Client\nwith Client(sys.argv[1], timeout=30):\n    pass";
        // As the environment's kernels run: the scheduler listens in its network namespace only, speaks TLS and asks for its certificates.
        const kernel = provider.asKernel(env, python, ["-c", code, links.schedulerAddress!])!;
        execFileSync(kernel.command, kernel.args, { stdio: "ignore", env: kernel.env as NodeJS.ProcessEnv });
        return "Receive client connection";
      },
    },
  }));
});
