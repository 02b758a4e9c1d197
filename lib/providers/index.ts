import "server-only";
import type { PortalConfig } from "@/lib/config";
import { createAwsProvider, loadAwsConfig } from "./aws";
import { LocalProvider, localSettings } from "./local";
import type { Provider } from "./types";

/** The provider PORTAL_PROVIDER names, built from the portal's configuration. */
export function createProvider(config: PortalConfig): Provider {
  if (config.provider === "aws") return createAwsProvider(loadAwsConfig());
  return new LocalProvider(localSettings(config), config.workers);
}
