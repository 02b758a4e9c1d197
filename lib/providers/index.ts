import "server-only";
import type { PortalConfig } from "@/lib/config";
import { createAwsProvider, loadAwsConfig } from "./aws";
import { LocalProvider, localSettings } from "./local";
import type { Provider } from "@/lib/providers/contract";

/** The provider PORTAL_PROVIDER names, built from the portal's configuration. */
export function createProvider(config: PortalConfig): Provider {
  if (config.provider === "aws") return createAwsProvider(loadAwsConfig());
  const local = new LocalProvider(localSettings(config), config.workers);
  // Said once at start: how attendees' environments are isolated, and what is weaker or missing, and why.
  void local.isolation().then(({ parts }) => {
    for (const { part, state, message } of parts) (state === "ok" ? console.log : console.warn)(`local provider: ${part}: ${message}`);
  });
  return local;
}
