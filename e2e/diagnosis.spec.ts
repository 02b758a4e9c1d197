// Failures explained, with the local provider: a kernel asks a worker for more memory than
// it has, the worker is killed for it (as Fargate kills a task at its memory limit), and
// the attendee's page leads with the out-of-memory sentence and fix while the facilitator's
// Room problems card counts it. And the pace card: three attendees on different labs, one
// stuck, a hint that reaches only the attendees of one lab.
import type { Browser } from "@playwright/test";
import { catalogue } from "@/lib/diagnosis/catalogue";
import { SignInPage } from "./pages/signin-page";
import { expect, test } from "./support/fixtures";
import { attendee } from "./support/people";
import { runInNewKernel } from "./support/kernel";
import { freshDataDir, PortalServer } from "./support/portal-server";

async function facilitator(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await new SignInPage(page).asFacilitator();
  await expect(page).toHaveURL(/\/facilitator/);
  return { context, page };
}

/**
 * What a notebook cell asks of the cluster: one task that holds 768 MiB on workers of
 * 512 MiB (PORTAL_LOCAL_WORKER_MEMORY in e2e/support/portal-server.ts). Fired and forgotten,
 * so it goes on (and is retried on the next workers, up to Dask's allowed failures) after
 * the kernel that asked has gone.
 */
const greedyCell = [
  "import os, time, numpy as np",
  "from distributed import Client, fire_and_forget",
  "client = Client(os.environ['DASK_SCHEDULER_ADDRESS'], timeout='30s')",
  "def grab():",
  "    block = np.ones(96 * 2**20)",
  "    time.sleep(120)",
  "    return float(block.sum())",
  "fire_and_forget(client.submit(grab, pure=False))",
  "time.sleep(2)",
  "print('asked')",
].join("\n");

test("a worker killed for memory shows the out-of-memory cause and fix on the attendee's page, and the Room problems card counts it", async ({ browser }) => {
  test.setTimeout(420_000);
  const portal = new PortalServer(freshDataDir("oom"));
  await portal.start();
  try {
    const ada = await attendee(browser, portal.url, "Ada Memory");
    const envId = await ada.env.deployReady();
    await expect(ada.page.getByTestId("diagnosis")).toHaveCount(0);

    // The cell runs in a kernel of Ada's JupyterLab, on the content origin: the only way into the sandbox.
    const [lab] = await Promise.all([ada.page.context().waitForEvent("page"), ada.page.getByTestId("notebook-link").click()]);
    await expect(lab.locator(".jp-NotebookPanel").first()).toBeVisible({ timeout: 60_000 });
    expect((await runInNewKernel(lab, `/environments/${envId}/notebook`, greedyCell)).trim()).toBe("asked");
    await lab.close();
    const diagnosis = ada.page.getByTestId("diagnosis");
    await expect(diagnosis).toHaveAttribute("data-code", "out-of-memory", { timeout: 90_000 });
    await expect(ada.page.getByTestId("diagnosis-cause")).toHaveText(catalogue["out-of-memory"].cause);
    await expect(ada.page.getByTestId("diagnosis-fix")).toHaveText(catalogue["out-of-memory"].fix);
    // The platform's own words are one click away.
    const raw = ada.page.getByTestId("diagnosis-raw");
    await expect(raw.locator("pre")).toBeHidden();
    await raw.locator("summary").click();
    await expect(raw.locator("pre")).toHaveText("OutOfMemoryError: Container killed due to memory usage");
    await expect(raw.locator("summary")).toContainText(/worker task worker-\d+ stopped/);
    // The task table says the same, in ECS's words.
    await expect(ada.page.locator('[data-testid="task-row"][data-role="worker"][data-status="STOPPED"]').first()).toContainText("OutOfMemoryError");

    // The help request carries the cause, so the facilitator's queue shows it.
    await ada.page.getByTestId("diagnosis-ask-help").click();
    await expect(ada.page.getByTestId("help-message")).toHaveValue(/out-of-memory/);
    await ada.page.getByTestId("help-submit").click();
    await expect(ada.page.getByTestId("help-status")).toBeVisible();

    const fac = await facilitator(browser, portal.url);
    const group = fac.page.locator('[data-testid="problem-group"][data-code="out-of-memory"]');
    await expect(group.getByTestId("problem-count")).toHaveText("1");
    await expect(group.getByTestId("problem-names")).toHaveText("Ada Memory");
    await expect(group).toContainText(catalogue["out-of-memory"].cause);
    await group.getByTestId("problem-raise-memory").locator("summary").click();
    await expect(group.getByTestId("problem-raise-memory")).toContainText("PORTAL_LOCAL_WORKER_MEMORY");
    await expect(group.getByTestId("problem-open-help")).toHaveText("Open their help requests (1)");
    await expect(fac.page.getByTestId("help-cause")).toHaveAttribute("data-code", "out-of-memory");

    // Solved: Dask gives the task up after its allowed failures, the replaced workers run
    // again, the attendee hides the cause, and the card no longer lists them.
    await expect(ada.env.tasks("worker", "RUNNING")).toHaveCount(2, { timeout: 180_000 });
    await ada.page.getByTestId("diagnosis-dismiss").click();
    await expect(ada.page.getByTestId("diagnosis")).toHaveCount(0);
    await expect(group).toHaveCount(0);
    await expect(fac.page.getByTestId("room-problems")).toContainText("No environment shows a failure.");

    await ada.env.teardown();
    await expect(ada.env.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  } finally {
    await portal.stop();
  }
});

test("the pace card counts attendees per lab, flags the stuck one, and a lab's hint reaches only that lab", async ({ browser }) => {
  const portal = new PortalServer(freshDataDir("pace"));
  await portal.start();
  try {
    const ann = await attendee(browser, portal.url, "Ann Pace");
    const ben = await attendee(browser, portal.url, "Ben Pace");
    const cat = await attendee(browser, portal.url, "Cat Pace");
    // Ann finished lab 1 and is on lab 2; Ben is on lab 3 and asks for help; Cat is on lab 4.
    await ann.page.goto("/labs/01-set-up-your-tools");
    await ann.page.getByTestId("lab-done").click();
    await expect(ann.page.getByTestId("lab-done")).toHaveAttribute("aria-pressed", "true");
    await ann.page.goto("/labs/02-build-and-push-the-dask-image");
    await ben.page.goto("/labs/03-deploy-the-dask-environment");
    await cat.page.goto("/labs/04-analyse-era5-in-the-notebook");
    await ben.page.getByTestId("help-button").click();
    await ben.page.getByTestId("help-submit").click();
    await expect(ben.page.getByTestId("help-status")).toBeVisible();

    const fac = await facilitator(browser, portal.url);
    const lab = (slug: string) => fac.page.locator(`[data-testid="pace-lab"][data-lab="${slug}"]`);
    const figures = async (slug: string) => [
      await lab(slug).getByTestId("pace-on").textContent(),
      await lab(slug).getByTestId("pace-done").textContent(),
      await lab(slug).getByTestId("pace-stuck").textContent(),
    ];
    await expect(lab("04-analyse-era5-in-the-notebook").getByTestId("pace-on")).toHaveText("1");
    expect(await figures("01-set-up-your-tools")).toEqual(["0", "1", "0"]);
    expect(await figures("02-build-and-push-the-dask-image")).toEqual(["1", "0", "0"]);
    expect(await figures("03-deploy-the-dask-environment")).toEqual(["1", "0", "0"]);
    await expect(lab("01-set-up-your-tools").getByTestId("pace-median")).toHaveText(/^\d+ min$/);

    // Stuck: no progress for the threshold while asking for help. With a threshold of 0
    // minutes Ben is stuck; Ann and Cat, who asked for nothing, are not.
    await fac.page.getByTestId("pace-stuck-minutes").fill("0");
    await expect(lab("03-deploy-the-dask-environment").getByTestId("pace-stuck")).toHaveText("1");
    await expect(lab("03-deploy-the-dask-environment").getByTestId("pace-attendee")).toHaveAttribute("data-stuck", "true");
    await expect(lab("02-build-and-push-the-dask-image").getByTestId("pace-attendee")).toHaveAttribute("data-stuck", "false");
    await expect(lab("04-analyse-era5-in-the-notebook").getByTestId("pace-stuck")).toHaveText("0");

    // A hint to everyone on lab 3: it reaches Ben like an announcement.
    await lab("03-deploy-the-dask-environment").getByTestId("pace-hint-lab").click();
    await lab("03-deploy-the-dask-environment").getByTestId("pace-hint-message").fill("Open Stack events: the failed resource says why.");
    await lab("03-deploy-the-dask-environment").getByTestId("pace-hint-send").click();
    await expect(lab("03-deploy-the-dask-environment").getByTestId("pace-hint-sent")).toHaveText("Sent to 1.");
    const hint = ben.page.locator('[data-testid="announcement"][data-kind="hint"]');
    await expect(hint).toContainText("Open Stack events: the failed resource says why.");

    // Then an announcement to everyone: once Ann and Cat have it, they have had every
    // message sent before it, and the hint is not among them, even after a reload.
    await fac.page.getByTestId("announce-input").fill("Ten minutes to the break.");
    await fac.page.getByTestId("announce-submit").click();
    for (const other of [ann, cat]) {
      await expect(other.page.getByTestId("announcement").filter({ hasText: "Ten minutes to the break." })).toHaveCount(1);
      await expect(other.page.locator('[data-testid="announcement"][data-kind="hint"]')).toHaveCount(0);
      await other.page.reload();
      await expect(other.page.getByTestId("announcement").filter({ hasText: "Ten minutes to the break." })).toHaveCount(1);
      await expect(other.page.locator('[data-testid="announcement"][data-kind="hint"]')).toHaveCount(0);
    }
    await ben.page.reload();
    await expect(hint).toContainText("Open Stack events: the failed resource says why.");

    await fac.page.goto("/facilitator/audit");
    await expect(fac.page.getByText("hint", { exact: true }).first()).toBeVisible();
  } finally {
    await portal.stop();
  }
});
