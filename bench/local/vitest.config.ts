import path from "node:path";
import { defineConfig, mergeConfig } from "vitest/config";
import base from "../../vitest.config";

// Runs the local provider benchmark (`make bench-local`); it measures and writes a report,
// it never passes or fails on timing.
const root = path.resolve(__dirname, "../..");
const config = mergeConfig(base, defineConfig({ root, test: { testTimeout: 30 * 60_000, fileParallelism: false } }));
config.test = { ...config.test, include: ["bench/local/*.bench-run.ts"], exclude: ["node_modules/**"] };
export default config;
