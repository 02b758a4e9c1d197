import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser (this machine cannot download one).
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "e2e",
  // Each test file starts its own portal and real Dask processes; two cores are shared.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  retries: 0,
  reporter: [["list"], ["html", { open: "never", outputFolder: "test-results/playwright-report" }]],
  outputDir: "test-results/playwright",
  // The journeys on plain loopback, and the portal as a host runs it: behind Debian's Caddy on
  // https (the spec starts Caddy and its own browser, which trusts Caddy's CA).
  projects: [
    { name: "loopback", testIgnore: "behind-tls.spec.ts" },
    { name: "behind-tls", testMatch: "behind-tls.spec.ts" },
  ],
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
});
