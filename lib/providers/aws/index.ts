import "server-only";

export { createAwsProvider } from "./provider";
export { awsProviderConfig, loadAwsConfig, type AwsProviderConfig } from "./config";
