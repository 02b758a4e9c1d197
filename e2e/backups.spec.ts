import fs from "node:fs";
import path from "node:path";
import { SignInPage } from "./pages/signin-page";
import { expect, test } from "./support/fixtures";
import { freshDataDir, PortalServer } from "./support/portal-server";

test("the facilitator backs the store up from the page, and sees and finds in the audit log a backup that fails", async ({ browser }) => {
  const dataDir = freshDataDir("backups");
  const portal = new PortalServer(dataDir);
  await portal.start();
  try {
    const context = await browser.newContext({ baseURL: portal.url });
    const page = await context.newPage();
    await new SignInPage(page).asFacilitator();
    await expect(page).toHaveURL(/\/facilitator/);
    const card = page.getByTestId("backups");
    await expect(card.getByTestId("backup-local")).toContainText("No copy yet; one every 5 min into");
    await expect(card.getByTestId("backup-bucket")).toHaveText("No bucket (PORTAL_BACKUP_BUCKET is unset): copies stay on this machine.");

    await card.getByTestId("backup-now").click();
    await expect(card.getByTestId("backup-now-status")).toHaveText(/^Backed up as portal-\d{8}T\d{6}Z\.sqlite\.$/);
    await expect(card.getByTestId("backup-local")).toContainText(`1 of at most 24 kept in ${path.join(dataDir, "backups")}`);
    const [copy] = fs.readdirSync(path.join(dataDir, "backups"));
    expect(copy).toMatch(/^portal-\d{8}T\d{6}Z\.sqlite$/);

    // The folder becomes unusable: the next backup fails, says why, and the card keeps saying it.
    fs.rmSync(path.join(dataDir, "backups"), { recursive: true });
    fs.writeFileSync(path.join(dataDir, "backups"), "not a folder");
    await card.getByTestId("backup-now").click();
    await expect(card.getByTestId("backup-now-status").getByRole("alert")).toContainText("is not a folder the portal can write to");
    await page.reload();
    await expect(page.getByTestId("backup-failure")).toContainText("The last backup failed");
    await expect(page.getByTestId("backup-failure")).toContainText("The store itself is unchanged.");

    await page.goto("/facilitator/audit");
    const rows = page.getByTestId("audit-row").filter({ hasText: "backup" });
    await expect(rows.filter({ hasText: "error" })).toHaveCount(1);
    await expect(rows.filter({ hasText: copy })).toHaveCount(1);
    await context.close();
  } finally {
    await portal.stop();
  }
});
