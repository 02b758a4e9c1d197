/**
 * One error type for the whole portal. Its code says what went wrong and for whom;
 * `status` maps it to HTTP in one place, and only `message` ever reaches a browser.
 */
export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "unavailable";

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

export class PortalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return statusOf[this.code];
  }
}

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: string; fieldErrors?: Record<string, string[]> };

export function errorResponse(err: unknown): Response {
  if (err instanceof PortalError) {
    return Response.json({ error: err.message }, { status: err.status });
  }
  console.error("unexpected error", err instanceof Error ? err.message : err);
  return Response.json({ error: "Something went wrong on the portal. Try again." }, { status: 500 });
}
