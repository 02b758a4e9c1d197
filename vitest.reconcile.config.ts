import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

// Reconciling the store with the AWS provider's stacks, against moto server (`make test-reconcile`).
const include = ["lib/environments/**/*.aws.int.test.ts"];
const config = mergeConfig(
  base,
  defineConfig({
    test: {
      globalSetup: ["test/moto/global-setup.mjs"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      fileParallelism: false,
    },
  }),
);
// mergeConfig concatenates arrays, and the base config excludes *.int.test.ts, which is all we run.
config.test = { ...config.test, include, exclude: ["node_modules/**"] };
export default config;
