import { expect, test, uniqueEmail } from "./support/fixtures";
import { EnvironmentPage } from "./pages/environment-page";
import { environmentProcessesOf } from "./support/processes";

test("deploy a real local Dask cluster, watch it live, scale it and tear it down", async ({ page, signIn, environment, portal, browser }) => {
  await signIn.asAttendee("Dask Learner", uniqueEmail("learner"));
  await expect(page).toHaveURL(/\/labs\//);
  await environment.goto();
  await environment.deploy();

  await expect(environment.status()).toHaveText(/CREATE_IN_PROGRESS|CREATE_COMPLETE/);
  await environment.waitUntilReady();
  await expect(environment.tasks("scheduler", "RUNNING")).toHaveCount(1);
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);
  // A real line written by the real `dask scheduler`.
  await expect(environment.logLines().filter({ hasText: "Scheduler at:" })).toHaveCount(1);
  const envId = (await page.getByTestId("environment").getAttribute("data-env-id")) ?? "";
  expect(envId).toMatch(/^[0-9a-f-]{36}$/);
  // The notebook opens through the portal, on the content origin: JupyterLab's token never reaches the page.
  await expect(page.getByTestId("notebook-link")).toHaveAttribute("href", `/environments/${envId}/notebook`);
  expect(await page.content()).not.toMatch(/token=/);
  const opened = await page.request.get(`/environments/${envId}/notebook`, { maxRedirects: 0 });
  expect(opened.status()).toBe(303);
  const notebook = opened.headers()["location"];
  expect(notebook).toBe(`${portal.contentOrigin()}/environments/${envId}/notebook/lab/tree/era5-analysis.ipynb`);
  await expect(page.getByTestId("dashboard-link")).toHaveAttribute("href", `/environments/${envId}/dashboard`);
  await expect(page.getByTestId("dashboard-access")).toHaveAttribute("data-mode", "proxied");
  // Both lead somewhere real, through the portal's hand-off: JupyterLab and the scheduler's dashboard.
  const notebookPage = await page.context().newPage();
  expect((await notebookPage.goto(`/environments/${envId}/notebook`))?.status(), "notebook").toBe(200);
  expect(notebookPage.url()).toBe(notebook);
  expect((await notebookPage.goto(`/environments/${envId}/dashboard`))?.status(), "dashboard").toBe(200);
  expect(notebookPage.url()).toBe(`${portal.contentOrigin()}/environments/${envId}/dashboard/status`);
  await notebookPage.close();
  // A client without a session of the content origin's is turned away.
  expect((await fetch(`${portal.contentOrigin()}/environments/${envId}/notebook/api/contents`)).status).toBe(401);

  // A second tab on the same environment sees the same live events.
  const context = page.context();
  const second = new EnvironmentPage(await context.newPage());
  await second.goto();
  await expect(second.tasks("worker", "RUNNING")).toHaveCount(2);

  // Bad input changes nothing.
  await environment.scale("abc");
  await expect(page.getByTestId("scale-message")).toContainText("whole number of workers from 0 to 4");
  await environment.scale("1000000000");
  await expect(page.getByTestId("scale-message")).toContainText("whole number of workers from 0 to 4");
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);

  await environment.scale("3");
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(3);
  await expect(second.tasks("worker", "RUNNING")).toHaveCount(3);
  await expect(second.logLines().filter({ hasText: "Register worker" })).toHaveCount(3);

  // Another attendee cannot see or touch this environment, nor open its notebook.
  const stranger = await browser.newContext({ baseURL: portal.url });
  const strangerPage = await stranger.newPage();
  const { SignInPage } = await import("./pages/signin-page");
  await new SignInPage(strangerPage).asAttendee("Stranger", uniqueEmail("stranger"));
  await expect(strangerPage).toHaveURL(/\/labs\//);
  const peek = await strangerPage.request.get(`/api/environments/${envId}/events`);
  expect(peek.status()).toBe(404);
  expect((await strangerPage.request.get(`/environments/${envId}/notebook`, { maxRedirects: 0 })).status()).toBe(404);
  expect((await strangerPage.request.get(`/environments/${envId}/notebook/api/contents`)).status()).toBe(404);
  await stranger.close();

  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  await expect(environment.tasks("worker", "STOPPED")).toHaveCount(3);
  await expect(environment.tasks("scheduler", "STOPPED")).toHaveCount(1);
  await expect(environment.tasks("worker").first()).toContainText("Torn down");
  expect(environmentProcessesOf(portal.dataDir)).toEqual([]);
});

test("a portal restart keeps the environment, its tasks and its log without repeating a line", async ({ page, signIn, environment, portal }) => {
  await signIn.asAttendee("Restart Survivor", uniqueEmail("restart"));
  await expect(page).toHaveURL(/\/labs\//);
  await environment.goto();
  await environment.deploy();
  await environment.waitUntilReady();
  await expect(environment.logLines().filter({ hasText: "Scheduler at:" })).toHaveCount(1);

  await portal.restart();
  // The open page reconnects by itself and resumes from its last event id.
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);
  await page.reload();
  await expect(environment.status()).toHaveText("CREATE_COMPLETE");
  await expect(environment.tasks("scheduler", "RUNNING")).toHaveCount(1);
  await expect(environment.tasks("worker", "RUNNING")).toHaveCount(2);
  await expect(environment.logLines().filter({ hasText: "Scheduler at:" })).toHaveCount(1);
  await expect(environment.logLines().filter({ hasText: "Register worker" })).toHaveCount(2);

  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
  expect(environmentProcessesOf(portal.dataDir)).toEqual([]);
});
