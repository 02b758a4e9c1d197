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

/** Turns any SDK failure into a ProviderError with a message fit for the page. */
export function toProviderError(error: unknown, doing: string): ProviderError {
  if (ProviderError.is(error)) return error;
  const name = errorName(error);
  if (credentialNames.has(name)) {
    return new ProviderError(
      "credentials",
      `AWS did not accept the portal's credentials while ${doing}. Check the credential chain (AWS_PROFILE, role, or keys) and AWS_REGION.`,
    );
  }
  if (name === "AccessDeniedException" || name === "AccessDenied" || name === "UnauthorizedOperation") {
    return new ProviderError("credentials", `The portal's AWS role may not do this (${doing}): ${plainMessage(error)}`);
  }
  if (isThrottling(error)) return new ProviderError("throttled", `AWS is throttling the portal while ${doing}; it will try again.`);
  if (isUnreachable(error)) return new ProviderError("unavailable", `Cannot reach AWS while ${doing}.`);
  const message = plainMessage(error);
  if (/does not exist|not found|NotFound/i.test(message) || /NotFound/.test(name)) {
    return new ProviderError("not_found", message);
  }
  return new ProviderError("bad_request", message);
}
