import { expect, type Page } from "@playwright/test";

export class EnvironmentPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto("/environment");
  }

  status() {
    return this.page.getByTestId("env-status");
  }

  tasks(role: "scheduler" | "worker", status?: string) {
    const selector = `[data-testid="task-row"][data-role="${role}"]${status ? `[data-status="${status}"]` : ""}`;
    return this.page.locator(selector);
  }

  logLines() {
    return this.page.getByTestId("log-line");
  }

  async deploy() {
    await this.page.getByTestId("deploy-button").click();
  }

  /** Why the last Deploy was refused, shown beside the button. */
  deployError() {
    return this.page.getByTestId("deploy-button").locator("xpath=..").getByRole("alert");
  }

  /**
   * Deploys from the environment page, waits until it is ready and its notebook answers
   * (JupyterLab starts alongside and may come a moment after "ready"), and gives its id.
   */
  async deployReady(): Promise<string> {
    await this.goto();
    await this.deploy();
    await this.waitUntilReady();
    await expect(this.page.getByTestId("notebook-link")).toBeVisible({ timeout: 60_000 });
    return (await this.page.getByTestId("environment").getAttribute("data-env-id")) ?? "";
  }

  async waitUntilReady() {
    await expect(this.status()).toHaveText("CREATE_COMPLETE", { timeout: 120_000 });
  }

  async scale(workers: string) {
    await this.page.getByTestId("scale-input").fill(workers);
    await this.page.getByTestId("scale-submit").click();
  }

  async teardown() {
    await this.page.getByTestId("teardown-button").click();
    await this.page.getByTestId("teardown-confirm").click();
  }
}
