import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

// The live stream against moto behind the fault proxy (`make test-stream`): throttling,
// an outage, reconnects and a restart, and AWS calls that do not grow with viewers.
const config = mergeConfig(
  base,
  defineConfig({
    test: {
      globalSetup: ["test/moto/global-setup.mjs"],
      testTimeout: 150_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  }),
);
// mergeConfig concatenates arrays; these suites live only under test/fault-proxy.
config.test = { ...config.test, include: ["test/fault-proxy/**/*.test.ts"], exclude: ["node_modules/**"] };
export default config;
