import { ProviderError } from "../types";

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
  if (isThrottling(error)) return new ProviderError("throttled", `AWS is throttling the portal while ${doing}; it will try again.`);
  if (isUnreachable(error)) return new ProviderError("unavailable", `Cannot reach AWS while ${doing}.`);
  const message = plainMessage(error);
  if (/does not exist|not found|NotFound/i.test(message) || /NotFound/.test(name)) {
    return new ProviderError("not_found", message);
  }
  return new ProviderError("bad_request", message);
}
