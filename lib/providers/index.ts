import "server-only";
import type { PortalConfig } from "@/lib/config";
import { createAwsProvider, loadAwsConfig } from "./aws";
import { LocalProvider, localSettings } from "./local";
import type { Provider } from "./types";

/** The provider PORTAL_PROVIDER names, built from the portal's configuration. */
export function createProvider(config: PortalConfig): Provider {
  if (config.provider === "aws") return createAwsProvider(loadAwsConfig());
  const local = new LocalProvider(localSettings(config), config.workers);
  // Said once at start: whether attendees' environments are isolated, and if not, why.
  const { deploysAllowed, message } = local.isolation();
  (deploysAllowed ? console.log : console.warn)(`local provider: ${message}`);
  return local;
}
