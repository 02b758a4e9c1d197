import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

// Integration tests of the AWS provider against moto server (`make test-aws`).
const config = mergeConfig(
  base,
  defineConfig({
    test: {
      include: ["lib/providers/aws/**/*.int.test.ts"],
      globalSetup: ["test/moto/global-setup.mjs"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      fileParallelism: false,
    },
  }),
);
// mergeConfig concatenates arrays; the base config excludes *.int.test.ts, which is all we run.
config.test = { ...config.test, include: ["lib/providers/aws/**/*.int.test.ts"], exclude: ["node_modules/**"] };
export default config;
