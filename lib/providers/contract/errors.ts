// What a provider throws when it cannot do what was asked, in words the portal may show.

// Marks a ProviderError however many copies of this module the server has loaded (Next.js
// compiles instrumentation.ts, which starts the runtime and its provider, apart from the
// routes): `instanceof` would fail across copies, the registered symbol does not.
const providerErrorMark: unique symbol = Symbol.for("dask-workshop.ProviderError");

export class ProviderError extends Error {
  readonly [providerErrorMark] = true;

  constructor(
    readonly code: "bad_request" | "not_found" | "unavailable" | "throttled" | "credentials",
    message: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is ProviderError {
    return typeof error === "object" && error !== null && providerErrorMark in error;
  }
}
