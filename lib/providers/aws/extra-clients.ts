import "server-only";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import type { AwsProviderConfig } from "./config";

/**
 * Service Quotas, for the facilitator's preflight, made the way clients.ts makes the
 * provider's clients: the config's region and endpoint (AWS_ENDPOINT_URL, or the SDK's
 * AWS_ENDPOINT_URL_SERVICE_QUOTAS), the default credential chain, no SDK retries (the
 * rate limiter retries throttling itself).
 */
export function createServiceQuotasClient(config: AwsProviderConfig): ServiceQuotasClient {
  return new ServiceQuotasClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 15_000 },
  });
}
