import "server-only";

export { createAwsProvider } from "./provider";
export { loadAwsConfig, type AwsProviderConfig } from "./config";
