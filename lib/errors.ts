import { ProviderError } from "@/lib/providers/contract";

/**
 * One error type for the whole portal. Its code says what went wrong and for whom;
 * `status` maps it to HTTP in one place, and only `message` ever reaches a browser.
 */
export type ErrorCode = "bad_request" | "unauthorized" | "forbidden" | "not_found" | "conflict" | "too_many" | "unavailable";

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many: 429,
  unavailable: 503,
};

// Recognised by a registered symbol rather than `instanceof`, which fails across the
// separately compiled copies of a module a Next.js server may hold (see ProviderError).
const portalErrorMark: unique symbol = Symbol.for("dask-workshop.PortalError");

export class PortalError extends Error {
  readonly [portalErrorMark] = true;

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return statusOf[this.code];
  }

  static is(error: unknown): error is PortalError {
    return typeof error === "object" && error !== null && portalErrorMark in error;
  }
}

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: string; fieldErrors?: Record<string, string[]> };

const generic = "Something went wrong on the portal. Try again.";

/**
 * Any failure as the PortalError a person may see: the portal's own as they are, a
 * provider's in its own words (its backend refused, or could not be reached), anything
 * else logged here and reported without its details.
 */
export function toPortalError(err: unknown): PortalError {
  if (PortalError.is(err)) return err;
  if (ProviderError.is(err)) {
    const code: ErrorCode = err.code === "bad_request" || err.code === "not_found" ? err.code : "unavailable";
    return new PortalError(code, err.message);
  }
  console.error("unexpected error:", err instanceof Error ? err.message : err);
  return new PortalError("unavailable", generic);
}

/** A route handler's failure as an HTTP response. */
export function errorResponse(err: unknown): Response {
  const expected = PortalError.is(err) || ProviderError.is(err);
  const error = toPortalError(err);
  return Response.json({ error: error.message }, { status: expected ? error.status : 500 });
}
