import os from "node:os";
import type { Browser } from "@playwright/test";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { freshDataDir, PortalServer } from "./support/portal-server";

async function attendee(browser: Browser, baseURL: string, name: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await new SignInPage(page).asAttendee(name, uniqueEmail(name.toLowerCase().replace(/\W+/g, "-")));
  await expect(page).toHaveURL(/\/labs\//);
  return { context, env: new EnvironmentPage(page) };
}

test("a machine with room for one environment shows it to the facilitator and refuses a second deploy", async ({ browser }) => {
  // Workers so large that two of them and the notebook's 512 MiB (the scheduler, JupyterLab and
  // kernels) cap one environment at all of this machine's memory less the 2 GiB reserve: room
  // for exactly one environment (its cap is a bound, not a reservation: it uses far less).
  const usableMiB = Math.floor(os.totalmem() / 2 ** 20) - 2048;
  const workerMiB = Math.floor((usableMiB - 512) / 2);
  const portal = new PortalServer(freshDataDir("capacity"), {
    PORTAL_LOCAL_WORKER_MEMORY: `${workerMiB}MiB`,
    PORTAL_LOCAL_NOTEBOOK_MEMORY: "512MiB",
    PORTAL_LOCAL_MEMORY_RESERVE: "2GiB",
    PORTAL_DEFAULT_WORKERS: "2",
  });
  await portal.start();
  try {
    const ada = await attendee(browser, portal.url, "Ada Capacity");
    const bob = await attendee(browser, portal.url, "Bob Capacity");

    await ada.env.goto();
    await ada.env.deploy();
    await expect(ada.env.status()).toHaveText(/CREATE_IN_PROGRESS|CREATE_COMPLETE/);

    await bob.env.goto();
    await bob.env.deploy();
    await expect(bob.env.deployError()).toContainText("This machine is full: 1 environment already plan");
    await expect(bob.env.deployError()).toContainText("PORTAL_LOCAL_WORKER_MEMORY");
    await expect(bob.env.status()).toHaveCount(0);

    const facContext = await browser.newContext({ baseURL: portal.url });
    const fac = await facContext.newPage();
    await new SignInPage(fac).asFacilitator();
    const capacity = fac.getByTestId("capacity");
    await expect(capacity.getByTestId("capacity-machine")).toContainText(`${os.cpus().length} cores`);
    await expect(capacity.getByTestId("capacity-fit")).toHaveText("1");
    await expect(capacity.getByTestId("capacity-footprint")).toHaveAttribute("data-capped", "true");
    await expect(capacity.getByTestId("capacity-footprint")).toContainText("plus 512 MiB for its scheduler, JupyterLab and kernels) and 2 CPUs");
    // Ada's environment is held to that plan: her page says so.
    await ada.env.goto();
    await expect(ada.env.page.getByTestId("env-caps")).toContainText(`(2 workers × ${(workerMiB / 1024).toFixed(1)} GiB, and 512 MiB for the scheduler, JupyterLab and your kernels) and 2 CPUs`);
    await expect(capacity.getByTestId("capacity-live")).toContainText("full");

    await ada.env.teardown();
    await expect(ada.env.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
    await facContext.close();
    await Promise.all([ada.context.close(), bob.context.close()]);
  } finally {
    await portal.stop();
  }
});
