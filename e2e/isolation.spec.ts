import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "@playwright/test";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { runInNewKernel } from "./support/kernel";
import { freshDataDir, PortalServer } from "./support/portal-server";
import { prohibited, reachCode, routesCode, type Rule } from "../test/support/reach";

// What attendee A's kernel, reached as A reaches it (through the content origin), can touch on
// this machine, and what happens when it takes more memory than A's environment may use.
// Nothing here sends a packet off this machine: what must be unreachable on loopback is tried,
// the rest is read from the namespace's rules and routing decisions (`ip route get` sends nothing).

const BLOCKED_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];
const BLOCKED_V6 = ["fc00::/7", "fe80::/10"];

/** An attendee with a ready environment and JupyterLab open on the content origin. */
async function attendeeWithNotebook(browser: Browser, portal: PortalServer, name: string) {
  const context = await browser.newContext({ baseURL: portal.url });
  const page = await context.newPage();
  await new SignInPage(page).asAttendee(name, uniqueEmail(name.toLowerCase().replace(/\W+/g, "-")));
  await expect(page).toHaveURL(/\/labs\//);
  const environment = new EnvironmentPage(page);
  const envId = await environment.deployReady();
  const [lab] = await Promise.all([context.waitForEvent("page"), page.getByTestId("notebook-link").click()]);
  await expect(lab).toHaveURL(`${portal.contentOrigin()}/environments/${envId}/notebook/lab/tree/era5-analysis.ipynb`);
  await expect(lab.locator(".jp-NotebookPanel").first()).toBeVisible({ timeout: 60_000 });
  const run = (code: string) => runInNewKernel(lab, `/environments/${envId}/notebook`, code);
  return { context, environment, envId, run };
}

test("A's kernel reaches nothing of the machine's or B's, sees no shadow, is held by rules; past its memory cap it alone is stopped, and A's page says why", async ({ browser }) => {
  test.setTimeout(420_000);
  // 2 workers × 256 MiB + 768 MiB for the scheduler, JupyterLab and kernels: a 1.25 GiB cap.
  const portal = new PortalServer(freshDataDir("isolation"), { PORTAL_LOCAL_WORKER_MEMORY: "256MiB", PORTAL_LOCAL_NOTEBOOK_MEMORY: "768MiB" });
  await portal.start();
  try {
    const a = await attendeeWithNotebook(browser, portal, "Ada Isolated");
    const b = await attendeeWithNotebook(browser, portal, "Bob Isolated");
    const stateB = JSON.parse(fs.readFileSync(path.join(portal.dataDir, "local", b.envId, "state.json"), "utf8")) as {
      ports: { scheduler: number; dashboard: number };
      isolation: { socketDir: string };
    };

    // The portal's own ports, B's scheduler and dashboard, and B's JupyterLab's socket: out of A's reach.
    const reach = JSON.parse(
      await a.run(
        reachCode(
          {
            portal: ["127.0.0.1", Number(new URL(portal.url).port)],
            contentOrigin: ["127.0.0.1", portal.contentPort],
            schedulerB: ["127.0.0.1", stateB.ports.scheduler],
            dashboardB: ["127.0.0.1", stateB.ports.dashboard],
          },
          { jupyterLabB: path.join(stateB.isolation.socketDir, "notebook.sock") },
        ),
      ),
    );
    expect(reach).toEqual({
      portal: "ConnectionRefusedError",
      contentOrigin: "ConnectionRefusedError",
      schedulerB: "ConnectionRefusedError",
      dashboardB: "ConnectionRefusedError",
      jupyterLabB: "FileNotFoundError",
    });

    // No shadow, nor anything else of the host's /etc.
    const etc = JSON.parse(await a.run("import json, os\nprint(json.dumps({'etc': sorted(os.listdir('/etc')), 'shadow': os.path.exists('/etc/shadow')}))"));
    expect(etc.shadow).toBe(false);
    expect(etc.etc).toEqual(["group", "hosts", "localtime", "nsswitch.conf", "passwd", "resolv.conf", "ssl"].filter((f) => f !== "localtime" || fs.existsSync("/etc/localtime")));

    // The namespace's rules, as A's kernel reads them, and where they send a connection to each range.
    const own = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((i) => !i.internal).map((i) => i.address.split("%")[0]));
    const probes = ["10.1.2.3", "172.20.0.1", "192.168.0.10", "169.254.169.254", "100.100.100.100", "fd12::1", "fe80::2", ...own];
    const rules = JSON.parse(await a.run(routesCode(probes))) as { v4: Rule[]; v6: Rule[]; route: Record<string, { rc: number; err: string }> };
    expect(prohibited(rules.v4)).toEqual(expect.arrayContaining(BLOCKED_V4));
    expect(prohibited(rules.v6)).toEqual(expect.arrayContaining(BLOCKED_V6));
    for (const address of probes) expect(rules.route[address], address).toMatchObject({ rc: 2, err: expect.stringMatching(/Permission denied|Network is unreachable/) });

    // A's kernel takes 4 GiB while B's computes on B's cluster: A's kernel is stopped, B's finishes.
    const greedy = "import numpy as np\nheld = [np.ones(8 * 2**20) for _ in range(64)]\nprint('survived')";
    const computing = [
      "import os",
      "import dask.array as da",
      "from distributed import Client",
      "with Client(os.environ['DASK_SCHEDULER_ADDRESS']) as c:",
      "    x = da.ones((2000, 2000), chunks=500)",
      "    print(sum(int((x * i).sum().compute()) for i in range(1, 21)))",
    ].join("\n");
    const [aOutcome, bOutcome] = await Promise.allSettled([a.run(greedy), b.run(computing)]);
    expect(aOutcome).toMatchObject({ status: "rejected", reason: expect.objectContaining({ message: expect.stringMatching(/the kernel died/) }) });
    expect(bOutcome).toEqual({ status: "fulfilled", value: `${4_000_000 * 210}\n` });

    // A's page says what happened and what to change; A's cluster, B and the portal run on.
    await a.environment.goto();
    const notice = a.environment.page.getByTestId("out-of-memory");
    await expect(notice).toHaveAttribute("data-stopped", "kernel");
    await expect(notice).toContainText("memory cap of 1.3 GiB");
    await expect(notice).toContainText("Restart the kernel");
    await expect(notice).toContainText("PORTAL_LOCAL_NOTEBOOK_MEMORY");
    await expect(a.environment.page.getByTestId("env-caps")).toContainText("up to 1.3 GiB of memory (2 workers × 256 MiB, and 768 MiB for the scheduler, JupyterLab and your kernels) and 2 CPUs");
    await expect(a.environment.status()).toHaveText("CREATE_COMPLETE");
    await expect(a.environment.tasks("worker", "RUNNING")).toHaveCount(2);
    await b.environment.goto();
    await expect(b.environment.page.getByTestId("out-of-memory")).toHaveCount(0);
    expect((await fetch(`${portal.url}/api/health`)).ok).toBe(true);

    for (const { environment } of [a, b]) {
      await environment.teardown();
      await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
    }
    await Promise.all([a.context.close(), b.context.close()]);
  } finally {
    await portal.stop();
  }
});
