import path from "node:path";
import { defineConfig, mergeConfig } from "vitest/config";
import base from "../../vitest.config";

// Runs the facilitator benchmark (`make bench-facilitator`); it measures and writes a report,
// it never passes or fails on timing.
const root = path.resolve(__dirname, "../..");
const config = mergeConfig(base, defineConfig({ root, test: { testTimeout: 20 * 60_000, hookTimeout: 60_000, fileParallelism: false } }));
config.test = { ...config.test, include: ["bench/facilitator/*.bench-run.ts"], exclude: ["node_modules/**"] };
export default config;
