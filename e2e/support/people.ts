import { expect, type Browser } from "@playwright/test";
import { EnvironmentPage } from "../pages/environment-page";
import { SignInPage } from "../pages/signin-page";
import { uniqueEmail } from "./fixtures";

/** An attendee signed in in a browser context of their own, on the labs, with their environment page at hand. */
export async function attendee(browser: Browser, baseURL: string, name: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await new SignInPage(page).asAttendee(name, uniqueEmail(name.toLowerCase().replace(/\W+/g, "-")));
  await expect(page).toHaveURL(/\/labs\//);
  return { context, page, env: new EnvironmentPage(page) };
}
