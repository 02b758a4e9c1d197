import "server-only";
import type { PortalConfig } from "@/lib/config";
import { awsProviderConfig, createAwsProvider } from "./aws";
import { LocalProvider, localSettings } from "./local";
import type { Provider } from "./contract";

/** The provider PORTAL_PROVIDER names, built from the portal's configuration. */
export function createProvider(config: PortalConfig): Provider {
  if (config.aws) return createAwsProvider(awsProviderConfig(config.aws));
  const local = new LocalProvider(localSettings(config), config.workers);
  // Said once at start: how attendees' environments are isolated, and what is weaker or missing, and why.
  void local.isolation().then(({ parts }) => {
    for (const { part, state, message } of parts) (state === "ok" ? console.log : console.warn)(`local provider: ${part}: ${message}`);
  });
  return local;
}
