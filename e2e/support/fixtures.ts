import { test as base, type Page } from "@playwright/test";
import { SignInPage } from "../pages/signin-page";
import { EnvironmentPage } from "../pages/environment-page";
import { freshDataDir, PortalServer } from "./portal-server";

interface WorkerFixtures {
  portal: PortalServer;
}

interface TestFixtures {
  signIn: SignInPage;
  environment: EnvironmentPage;
}

/** One portal per test file (worker), with a fresh data folder. */
export const test = base.extend<TestFixtures, WorkerFixtures>({
  portal: [
    async ({}, use, workerInfo) => {
      const server = new PortalServer(freshDataDir(`w${workerInfo.workerIndex}`));
      await server.start();
      await use(server);
      await server.stop();
    },
    { scope: "worker" },
  ],
  baseURL: async ({ portal }, use) => use(portal.url),
  signIn: async ({ page }, use) => use(new SignInPage(page)),
  environment: async ({ page }, use) => use(new EnvironmentPage(page)),
});

export { expect } from "@playwright/test";

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export type { Page };
