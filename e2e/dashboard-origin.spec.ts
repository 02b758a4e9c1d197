import fs from "node:fs";
import path from "node:path";
import { EnvironmentPage } from "./pages/environment-page";
import { SignInPage } from "./pages/signin-page";
import { expect, test, uniqueEmail } from "./support/fixtures";
import { runInNewKernel } from "./support/kernel";

// The exploit of issue 21, as an attendee would mount it: attendee A makes their own scheduler
// serve, as its dashboard's status page, a page whose script calls the facilitator's "tear
// down all" action on the portal; the facilitator opens A's dashboard from the roster. With
// the dashboard on the portal's own origin the script acts with the facilitator's session;
// on the content origin nothing happens, and the refused call is in the audit log.

/** The build's id for a server action, as anyone can read it from the portal's own scripts. */
function actionId(exportedName: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(".next", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { exportedName: string; filename: string }>;
  };
  const found = Object.entries(manifest.node).find(([, a]) => a.exportedName === exportedName && a.filename.includes("(facilitator)"));
  if (!found) throw new Error(`no server action ${exportedName} in this build`);
  return found[0];
}

/** The page A's scheduler serves: it tries the action the way the portal's pages call it, then as a form post (no preflight). */
function attackPage(portal: string, id: string): string {
  return `<!doctype html><html><head><title>working</title></head><body><h1>My dashboard</h1><script>
(async () => {
  const portal = ${JSON.stringify(portal)}, id = ${JSON.stringify(id)};
  try {
    await fetch(portal + "/facilitator", { method: "POST", credentials: "include", headers: { "Next-Action": id, Accept: "text/x-component", "Content-Type": "text/plain;charset=UTF-8" }, body: "[]" });
  } catch (e) {}
  const form = new FormData();
  form.append("$ACTION_ID_" + id, "");
  try {
    await fetch(portal + "/facilitator", { method: "POST", mode: "no-cors", credentials: "include", body: form });
  } catch (e) {}
  document.title = "done";
})();
</script></body></html>`;
}

/** Kernel code that makes A's scheduler serve `page` at its dashboard's status path, ahead of Dask's own. */
function plantCode(page: string): string {
  return [
    "import os",
    "from distributed import Client",
    "def plant(dask_scheduler, page, path):",
    "    from tornado import web",
    "    class Page(web.RequestHandler):",
    "        def get(self):",
    "            self.set_header('Content-Type', 'text/html; charset=utf-8')",
    "            self.write(page)",
    "    app = dask_scheduler.http_application",
    "    app.add_handlers(r'.*', [(path, Page)])",
    "    rules = app.default_router.rules",
    "    rules.insert(0, rules.pop(-2))",
    "    return 'planted'",
    "with Client(os.environ['DASK_SCHEDULER_ADDRESS']) as c:",
    `    print(c.run_on_scheduler(plant, page=${JSON.stringify(page)}, path=os.environ['DASK_DISTRIBUTED__DASHBOARD__LINK']))`,
  ].join("\n");
}

test("an attendee's dashboard page cannot act as the facilitator who opens it; the refused call is audited", async ({ browser, portal }) => {
  test.setTimeout(300_000);
  const adaContext = await browser.newContext({ baseURL: portal.url });
  const ada = await adaContext.newPage();
  await new SignInPage(ada).asAttendee("Ada Attacker", uniqueEmail("ada-attacker"));
  await expect(ada).toHaveURL(/\/labs\//);
  const environment = new EnvironmentPage(ada);
  const envId = await environment.deployReady();

  // Ada, in her own notebook, makes her scheduler serve the page.
  const [lab] = await Promise.all([adaContext.waitForEvent("page"), ada.getByTestId("notebook-link").click()]);
  await expect(lab).toHaveURL(/\/lab\/tree\/era5-analysis\.ipynb$/);
  await expect(lab.locator(".jp-NotebookPanel").first()).toBeVisible({ timeout: 60_000 });
  expect((await runInNewKernel(lab, `/environments/${envId}/notebook`, plantCode(attackPage(portal.url, actionId("teardownAllAction"))))).trim()).toBe("planted");

  // The facilitator opens Ada's dashboard from the roster.
  const facContext = await browser.newContext({ baseURL: portal.url });
  const fac = await facContext.newPage();
  await new SignInPage(fac).asFacilitator();
  await expect(fac).toHaveURL(/\/facilitator$/);
  await fac.getByTestId("roster-row").filter({ hasText: "Ada Attacker" }).getByRole("link", { name: "Ada Attacker" }).click();
  await expect(fac).toHaveURL(`${portal.url}/facilitator/environments/${envId}`);
  const [board] = await Promise.all([facContext.waitForEvent("page"), fac.getByTestId("dashboard-link").click()]);
  await expect(board.locator("h1")).toHaveText("My dashboard");
  await expect(board).toHaveTitle("done");

  // Nothing happened: Ada's environment runs, and nobody tore anything down.
  await fac.goto("/facilitator/audit");
  const log = fac.getByRole("table");
  await expect(log).toContainText("cross-origin-refused");
  await expect(log.getByRole("row").filter({ hasText: "cross-origin-refused" }).first()).toContainText(`POST /facilitator from ${new URL(board.url()).origin}`);
  await expect(log).not.toContainText("teardown-all");
  await environment.goto();
  await expect(environment.status()).toHaveText("CREATE_COMPLETE");
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);

  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  await Promise.all([adaContext.close(), facContext.close()]);
});
