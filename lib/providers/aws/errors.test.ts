import { describe, expect, it } from "vitest";
import { deniedPermission, toProviderError } from "./errors";

function refusal(name: string, message: string) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
}

describe("an IAM refusal", () => {
  it("names the missing action and resource and says to update portal-access, without the caller's identity", () => {
    const error = refusal(
      "AccessDeniedException",
      "User: arn:aws:sts::123456789012:assumed-role/portal/i-0abc is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-west-2:123456789012:service/dask-event/dask-ada-1a2b3c-worker because no identity-based policy allows the ecs:UpdateService action",
    );
    const problem = toProviderError(error, "scaling the workers", "dask-ada-1a2b3c");
    expect(problem.message).toBe(
      "The portal's role cannot ecs:UpdateService on arn:aws:ecs:us-west-2:123456789012:service/dask-event/dask-ada-1a2b3c-worker: update portal-access.",
    );
    expect(problem.message).not.toMatch(/assumed-role|i-0abc/);
  });

  it("falls back to what was acted on when AWS names no resource (moto, some services)", () => {
    const error = refusal("AccessDenied", "User: arn:aws:iam::123456789012:user/portal is not authorized to perform: cloudformation:DeleteStack");
    expect(toProviderError(error, "deleting the stack", "dask-ada-1a2b3c").message).toBe(
      "The portal's role cannot cloudformation:DeleteStack on dask-ada-1a2b3c: update portal-access.",
    );
  });

  it("says what the portal was doing when AWS names no action (EC2's encoded messages)", () => {
    const error = refusal("UnauthorizedOperation", "You are not authorized to perform this operation. Encoded authorization failure message: AbC");
    expect(deniedPermission(error)).toEqual({});
    expect(toProviderError(error, "checking account headroom").message).toBe(
      "The portal's role is refused while checking account headroom: update portal-access.",
    );
  });
});
