import type { ECSClientConfig } from "@aws-sdk/client-ecs";
import { awsConfig, repoPath, type AwsConfig, type Env } from "@/lib/config";
import { checkoutCommit } from "@/lib/image/repo-commit";
import { motoTemplateTransform } from "./moto-seam";

export { parseCallBudget, type Cadence } from "@/lib/config";

/** The AWS section of the portal's configuration, and what only the provider needs besides. */
export interface AwsProviderConfig extends Omit<AwsConfig, "templateTransform"> {
  /** Folder holding event.yaml, attendee.yaml and solo.yaml. */
  templateDir: string;
  /**
   * Tests only: rewrites a template before it is sent (moto lacks some resource types).
   * Production never sets it: the templates go to AWS exactly as they are in the repo.
   */
  templateTransform?: (templateBody: string) => string | Promise<string>;
  /** Tests only: replaces the default credential chain. */
  credentials?: ECSClientConfig["credentials"];
  /** Tests: how stale stacks, tasks, services and logs may get, overriding cadence (0: always ask AWS). */
  taskCacheMs?: number;
}

/** The provider's settings from the configuration's AWS section (portalConfig().aws), as parsed there. */
export function awsProviderConfig(aws: AwsConfig, overrides: Partial<AwsProviderConfig> = {}): AwsProviderConfig {
  const { templateTransform, ...settings } = aws;
  return {
    ...settings,
    notebookRepoCommit: aws.notebookRepoCommit ?? checkoutCommit(),
    templateDir: repoPath("cloudformation"),
    ...(templateTransform === "moto" ? { templateTransform: motoTemplateTransform(aws.endpoint) } : {}),
    ...overrides,
  };
}

/** The provider's settings from these environment variables (tests and tools; the portal hands down portalConfig().aws). */
export function loadAwsConfig(env: Env, overrides: Partial<AwsProviderConfig> = {}): AwsProviderConfig {
  return awsProviderConfig(awsConfig(env), overrides);
}
