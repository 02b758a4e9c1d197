import { ProviderError } from "@/lib/providers/contract";

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const throttlingNames = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "ServiceQuotaExceededException",
]);

const credentialNames = new Set([
  "CredentialsProviderError",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "MissingAuthenticationToken",
  "AuthFailure",
]);

const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"]);

function shape(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

export function errorName(error: unknown): string {
  return shape(error).name ?? "";
}

export function isThrottling(error: unknown): boolean {
  const e = shape(error);
  return throttlingNames.has(e.name ?? "") || e.$metadata?.httpStatusCode === 429;
}

export function isUnreachable(error: unknown): boolean {
  let e: SdkErrorShape | undefined = shape(error);
  for (let depth = 0; e && depth < 4; depth++) {
    if (networkCodes.has(e.code ?? "") || e.name === "TimeoutError" || e.name === "RequestTimeout") return true;
    e = e.cause ? shape(e.cause) : undefined;
  }
  const status = shape(error).$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** AWS's own message, without stack traces or request ids. */
function plainMessage(error: unknown): string {
  const message = shape(error).message ?? String(error);
  return message.split("\n")[0].slice(0, 500);
}

const accessDeniedNames = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AuthorizationError"]);

/**
 * The permission AWS says is missing, from its refusal ("… is not authorized to perform:
 * ecs:UpdateService on resource: arn:… because …"); either part may be absent (moto names
 * no resource, EC2 encodes the whole message).
 */
export function deniedPermission(error: unknown): { action?: string; resource?: string } {
  const message = shape(error).message ?? "";
  const action = /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1];
  const resource = /on resource:?\s+(\S+?)(?:\s|$|,)/.exec(message)?.[1];
  return { ...(action ? { action } : {}), ...(resource ? { resource } : {}) };
}

/**
 * A refusal by IAM, worded so the administrator knows what to change: the access stack
 * (cloudformation/portal-access.yaml) holds everything the portal may do. The caller's
 * identity (an ARN in AWS's message) is left out.
 */
function accessDenied(error: unknown, doing: string, resource?: string): ProviderError {
  const denied = deniedPermission(error);
  const where = denied.resource ?? resource;
  const what = denied.action ? `cannot ${denied.action}` : `is refused while ${doing}`;
  return new ProviderError("credentials", `The portal's role ${what}${where ? ` on ${where}` : ""}: update portal-access.`);
}

/**
 * A stack resource refused because CloudFormation's deploy role lacks a permission, as its
 * handler reports it ("Resource handler returned message: "User: arn:aws:sts::…:assumed-role/
 * <role>/… is not authorized to perform: ecs:TagResource on resource: arn:…"), in one sentence
 * that names the role, the permission and the fix; undefined for any other reason.
 */
export function deployRoleRefusal(reason: string | undefined): string | undefined {
  const match = /assumed-role\/([^/\s]+)\/\S* is not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9]+)(?: on resource:?\s+(\S+?))?(?:\s|$|")/.exec(reason ?? "");
  if (!match) return undefined;
  const [, role, action, resource] = match;
  return (
    `CloudFormation's deploy role ${role} cannot ${action}${resource ? ` on ${resource}` : ""}: ` +
    "update the access stack (portal-access) from this repository's cloudformation/portal-access.yaml, then deploy again."
  );
}

/**
 * Turns any SDK failure into a ProviderError with a message fit for the page; `resource`
 * names what was acted on, for refusals whose message does not.
 */
export function toProviderError(error: unknown, doing: string, resource?: string): ProviderError {
  if (ProviderError.is(error)) return error;
  const name = errorName(error);
  if (credentialNames.has(name)) {
    return new ProviderError(
      "credentials",
      `AWS did not accept the portal's credentials while ${doing}. Check the credential chain (AWS_PROFILE, role, or keys) and AWS_REGION.`,
    );
  }
  if (accessDeniedNames.has(name)) return accessDenied(error, doing, resource);
  if (name === "InsufficientCapabilitiesException") {
    const needed = /\[([A-Z_, ]+)\]/.exec(plainMessage(error))?.[1] ?? "CAPABILITY_IAM";
    return new ProviderError(
      "bad_request",
      `CloudFormation refused the stack while ${doing}: its template creates IAM resources and the portal did not acknowledge ${needed}. ` +
        "Update the portal (templateCapabilities in lib/providers/aws/stack.ts lists what each template needs).",
    );
  }
  if (isThrottling(error)) return new ProviderError("throttled", `AWS is throttling the portal while ${doing}; it will try again.`);
  if (isUnreachable(error)) return new ProviderError("unavailable", `Cannot reach AWS while ${doing}.`);
  const message = plainMessage(error);
  if (/does not exist|not found|NotFound/i.test(message) || /NotFound/.test(name)) {
    return new ProviderError("not_found", message);
  }
  return new ProviderError("bad_request", message);
}
