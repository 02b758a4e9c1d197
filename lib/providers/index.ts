import "server-only";
import { dataDir, portalConfig } from "@/lib/config";
import { createAwsProvider, loadAwsConfig } from "./aws";
import { LocalProvider, localSettingsFromEnv } from "./local";
import type { Provider } from "./types";

const holder = globalThis as unknown as { __portalProvider?: Provider };

function createProvider(): Provider {
  const config = portalConfig();
  if (config.PORTAL_PROVIDER === "aws") return createAwsProvider(loadAwsConfig());
  return new LocalProvider(localSettingsFromEnv(dataDir()), config.PORTAL_MAX_WORKERS ?? 4);
}

/** The one provider of this portal process, chosen by PORTAL_PROVIDER. */
export function getProvider(): Provider {
  holder.__portalProvider ??= createProvider();
  return holder.__portalProvider;
}
