// An AWS outage as an attendee sees it: the portal (PORTAL_PROVIDER=aws, event mode)
// talks to moto through the fault proxy (test/fault-proxy), which this test takes down
// and brings back. The harness writes to moto directly, as Fargate would keep logging
// while the portal cannot reach AWS.
import type { startFaultProxy } from "../test/fault-proxy/index.mjs";
import { expect, uniqueEmail } from "./support/fixtures";
import { harness, testOnMoto } from "./support/moto";

let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;

const test = testOnMoto("aws-outage", {}, async (moto) => {
  // Imported when used: the module also runs as a CLI (top-level await), which the spec loader cannot require.
  const { startFaultProxy } = await import("../test/fault-proxy/index.mjs");
  proxy = await startFaultProxy({ target: moto.endpoint });
  return proxy.endpoint;
});

test.afterAll(async () => {
  await proxy?.close();
});

test("an AWS outage shows as degraded on the page, and the stream catches up when AWS answers again", async ({ page, signIn, environment, moto }) => {
  await signIn.asAttendee("Outage Learner", uniqueEmail("outage"));
  await expect(page).toHaveURL(/\/labs\//);
  await environment.goto();
  await environment.deploy();
  await environment.waitUntilReady();
  await expect(environment.logLines().filter({ hasText: "Scheduler at:" })).toHaveCount(1);
  const stackName = (await page.getByRole("heading", { name: /^Stack/ }).locator("code").textContent()) ?? "";
  const schedulerTask = (await environment.tasks("scheduler", "RUNNING").locator("td").first().textContent()) ?? "";
  const banner = page.getByRole("status").filter({ hasText: "Degraded — retrying" });
  await expect(banner).toHaveCount(0);

  // AWS stops answering: the page says so and keeps showing the last known state.
  proxy!.configure({ down: true });
  await expect(banner).toBeVisible({ timeout: 90_000 });
  await expect(environment.tasks("scheduler", "RUNNING")).toHaveCount(1);
  // The scheduler keeps logging meanwhile.
  harness(moto, "log", { stack: stackName, role: "scheduler", task: schedulerTask, text: "written while AWS was unreachable" });

  // AWS is back: the banner goes and the line written during the outage arrives, once.
  proxy!.configure({ down: false });
  await expect(banner).toHaveCount(0, { timeout: 90_000 });
  await expect(environment.logLines().filter({ hasText: "written while AWS was unreachable" })).toHaveCount(1, { timeout: 60_000 });

  await environment.teardown();
  await expect(environment.status()).toHaveText("DELETE_COMPLETE", { timeout: 60_000 });
});
