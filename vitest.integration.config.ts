import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

// Integration tests run real Dask processes; one file at a time on a two-core machine.
const config = mergeConfig(
  base,
  defineConfig({ test: { testTimeout: 180_000, hookTimeout: 60_000, fileParallelism: false } }),
);
// mergeConfig concatenates arrays, and the base config excludes exactly these files.
config.test = {
  ...config.test,
  include: ["lib/**/*.int.test.ts"],
  exclude: ["lib/providers/aws/**", "lib/**/*.aws.int.test.ts", "node_modules/**"],
};
export default config;
