import "server-only";

export { createAwsProvider, type AwsProvider } from "./provider";
export { loadAwsConfig, type AwsProviderConfig } from "./config";
export type { EventStack } from "./reconcile";
