import path from "node:path";
import { defineConfig } from "vitest/config";

// One configuration, one project per kind of test; `make test` runs each on its own
// (`npx vitest run --project unit`, …), and so should you: a bare `vitest run` runs them all,
// the benchmarks included.
const moto = ["test/moto/global-setup.mjs"];
// Real processes and servers on a two-core machine: one file at a time.
const serial = { fileParallelism: false };

export default defineConfig({
  resolve: {
    alias: {
      "server-only": path.resolve(import.meta.dirname, "test/server-only-stub.ts"),
      "@": path.resolve(import.meta.dirname, "."),
    },
  },
  test: {
    environment: "node",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["{lib,app,components}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          // Unit tests use an in-memory store (test/support/unit.ts); one that reaches for the
          // default store on disk fails here instead of writing into someone's data/.
          env: { PORTAL_DATA_DIR: "/dev/null/unit-tests-use-an-in-memory-store" },
        },
      },
      {
        extends: true,
        // The handler-permission oracle (make test-cfn): it reads cfn-lint's schemas from .venv-tools.
        test: { name: "cfn", include: ["cloudformation/**/*.test.ts"], testTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: "local",
          include: ["lib/**/*.int.test.ts"],
          exclude: ["lib/providers/aws/**", "lib/**/*.aws.int.test.ts", "node_modules/**"],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          ...serial,
        },
      },
      {
        extends: true,
        test: {
          name: "aws",
          include: ["lib/providers/aws/**/*.int.test.ts", "lib/**/*.aws.int.test.ts"],
          globalSetup: moto,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          ...serial,
        },
      },
      {
        extends: true,
        test: { name: "stream", include: ["test/fault-proxy/**/*.test.ts"], globalSetup: moto, testTimeout: 150_000, hookTimeout: 120_000, ...serial },
      },
      {
        extends: true,
        // deploy/install.sh in a fresh Debian 13 root (make test-deploy): builds the portal there, so minutes.
        test: { name: "deploy", include: ["test/deploy/**/*.test.ts"], testTimeout: 30 * 60_000, hookTimeout: 10 * 60_000, ...serial },
      },
      {
        extends: true,
        test: { name: "bench-local", include: ["bench/local/*.bench-run.ts"], testTimeout: 30 * 60_000, ...serial },
      },
      {
        extends: true,
        test: { name: "bench-local-room", include: ["bench/local-room/*.bench-run.ts"], testTimeout: 30 * 60_000, ...serial },
      },
      {
        extends: true,
        test: { name: "bench-facilitator", include: ["bench/facilitator/*.bench-run.ts"], testTimeout: 20 * 60_000, hookTimeout: 60_000, ...serial },
      },
    ],
  },
});
