import type { Page } from "@playwright/test";
import { FACILITATOR_PASSWORD, JOIN_CODE } from "../support/portal-server";

export class SignInPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/signin");
  }

  async asAttendee(name: string, email: string, code = JOIN_CODE, returnCode?: string) {
    await this.goto();
    const form = this.page.getByTestId("signin-attendee");
    await form.getByLabel("Your name").fill(name);
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Event join code").fill(code);
    if (returnCode !== undefined) await form.getByLabel(/Return code/).fill(returnCode);
    await form.getByRole("button", { name: /join the workshop/i }).click();
  }

  /** The return code a first join shows (waits for it), after which the attendee says they kept it. */
  async keepReturnCode(): Promise<string> {
    const code = (await this.page.getByTestId("return-code-value").textContent()) ?? "";
    await this.page.getByRole("button", { name: "I have saved it" }).click();
    await this.page.getByTestId("return-code").waitFor({ state: "detached" });
    return code;
  }

  async asFacilitator(password = FACILITATOR_PASSWORD) {
    await this.goto();
    const form = this.page.getByTestId("signin-facilitator");
    await form.getByLabel("Password").fill(password);
    await form.getByRole("button", { name: /sign in as facilitator/i }).click();
  }

  attendeeError() {
    return this.page.getByTestId("signin-attendee").getByRole("alert");
  }
}
