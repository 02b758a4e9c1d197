import { describe, expect, it } from "vitest";
import { attendee, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { runCheck } from "./checks";

memoryStorePerTest();

describe("the tools-ready check", () => {
  it("tells the attendee what the platform said, without the account's ids or ARNs", async () => {
    const { rt, fake } = fakeRuntime();
    fake.setOutage(
      "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/portal-role/session is not authorized to perform cloudformation:DescribeStacks on account 123456789012",
    );
    const ada = attendee("Ada");
    const result = await runCheck(rt, { id: ada.id, role: "attendee" }, "01-set-up-your-tools", "tools-ready");
    expect(result.passed).toBe(false);
    const said = JSON.stringify(result);
    expect(said).toContain("AccessDenied");
    expect(said).toContain("(an AWS resource) is not authorized");
    expect(said).not.toMatch(/123456789012|arn:aws|portal-role/);
  });
});
