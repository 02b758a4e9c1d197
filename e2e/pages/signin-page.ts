import type { Page } from "@playwright/test";
import { FACILITATOR_PASSWORD, JOIN_CODE } from "../support/portal-server";

export class SignInPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/signin");
  }

  async asAttendee(name: string, email: string, code = JOIN_CODE) {
    await this.goto();
    const form = this.page.getByTestId("signin-attendee");
    await form.getByLabel("Your name").fill(name);
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Event join code").fill(code);
    await form.getByRole("button", { name: /join the workshop/i }).click();
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
