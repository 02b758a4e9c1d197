import type { ECSClientConfig } from "@aws-sdk/client-ecs";
import { awsEnv, ConfigError, repoPath, type Env } from "@/lib/config";
import { apiFamilies, defaultBucketSizes, type ApiFamily, type BucketSize } from "./limiter";
import { checkoutCommit } from "@/lib/image/repo-commit";
import { motoTemplateTransform } from "./moto-seam";

export interface AwsProviderConfig {
  region: string;
  endpoint?: string;
  mode: "solo" | "event";
  eventStack?: string;
  eventId: string;
  maxWorkers: number;
  defaultWorkers: number;
  dashboardCidr: string;
  notebookRepoUrl?: string;
  /** The event's budget (event.yaml's Budget): its alert address (none: no budget) and monthly limit in USD. */
  budgetAlertEmail?: string;
  budgetUsd: number;
  /** The commit of notebookRepoUrl the notebooks' kernel is built from (PORTAL_NOTEBOOK_REPO_COMMIT, else the portal's own). */
  notebookRepoCommit?: string;
  notebookInstanceType: string;
  /** The private subnet the notebooks go in (the template's NotebookSubnet); unset: the template's default, A. */
  notebookSubnet?: "A" | "B";
  /** The role CloudFormation acts with; unset: the access stack's CloudFormationRoleArn output. */
  cloudFormationRoleArn?: string;
  /** The access stack (cloudformation/portal-access.yaml) the deploy role is found in. */
  accessStack: string;
  workerCapacity?: "FARGATE_SPOT" | "FARGATE";
  daskImage?: string;
  /** The ERA5 months the room reads, "YYYYMM" in order (PORTAL_ERA5_MONTHS). */
  era5Months: string[];
  /** Folder holding event.yaml, attendee.yaml and solo.yaml. */
  templateDir: string;
  /**
   * Tests only: rewrites a template before it is sent (moto lacks some resource types).
   * Production never sets it: the templates go to AWS exactly as they are in the repo.
   */
  templateTransform?: (templateBody: string) => string | Promise<string>;
  /** Tests only: replaces the default credential chain. */
  credentials?: ECSClientConfig["credentials"];
  /** Calls per second each family of AWS APIs may use, all pollers and actions together. */
  callBudget: Record<ApiFamily, BucketSize>;
  /** How stale what the portal shows may get (see docs/aws.md, "How the provider behaves"). */
  cadence: Cadence;
  /** Tests: how stale stacks, tasks, services and logs may get, overriding cadence (0: always ask AWS). */
  taskCacheMs?: number;
}

export interface Cadence {
  /** Stacks, tasks and services of an environment that is changing (or was just acted on). */
  changingMs: number;
  /** The same for an environment where nothing is expected to change by itself. */
  settledMs: number;
  /** Log reads (the room's one cursor in event mode; each environment's in solo mode). */
  logsMs: number;
  /** How far back each log read reaches for lines that became visible late. */
  overlapMs: number;
}

export const defaultCadence: Cadence = { changingMs: 2_000, settledMs: 30_000, logsMs: 1_000, overlapMs: 10_000 };

/** Reads "ecs-read=5,logs-read=2": unknown families are an error, burst stays small so calls spread out. */
export function parseCallBudget(text: string | undefined): Record<ApiFamily, BucketSize> {
  const budget = { ...defaultBucketSizes };
  for (const part of (text ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [family, value] = part.split("=");
    if (!(apiFamilies as readonly string[]).includes(family)) {
      throw new ConfigError(`AWS provider configuration is invalid: PORTAL_AWS_CALL_BUDGET names an unknown family "${family}" (known: ${apiFamilies.join(", ")})`);
    }
    const ratePerSecond = Number(value);
    if (!(ratePerSecond > 0)) throw new ConfigError(`AWS provider configuration is invalid: PORTAL_AWS_CALL_BUDGET ${family} must be above 0`);
    budget[family as ApiFamily] = { ratePerSecond, burst: Math.max(1, Math.min(2, ratePerSecond)) };
  }
  return budget;
}

function parseCadence(text: string | undefined): Cadence {
  const cadence = { ...defaultCadence };
  const names = { changing: "changingMs", settled: "settledMs", logs: "logsMs", overlap: "overlapMs" } as const;
  for (const part of (text ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split("=") as [keyof typeof names, string];
    cadence[names[name]] = Number(value);
  }
  return cadence;
}

/** The AWS provider's settings from the environment variables (read and validated by lib/config.ts). */
export function loadAwsConfig(env: Env = process.env, overrides: Partial<AwsProviderConfig> = {}): AwsProviderConfig {
  const e = awsEnv(env);
  return {
    region: e.AWS_REGION,
    endpoint: e.AWS_ENDPOINT_URL,
    mode: e.PORTAL_AWS_MODE,
    eventStack: e.PORTAL_EVENT_STACK,
    eventId: e.PORTAL_EVENT_ID,
    maxWorkers: e.PORTAL_MAX_WORKERS,
    defaultWorkers: Math.min(e.PORTAL_DEFAULT_WORKERS, e.PORTAL_MAX_WORKERS),
    dashboardCidr: e.PORTAL_DASHBOARD_CIDR,
    notebookRepoUrl: e.PORTAL_NOTEBOOK_REPO_URL,
    notebookRepoCommit: e.PORTAL_NOTEBOOK_REPO_COMMIT ?? checkoutCommit(),
    budgetAlertEmail: e.PORTAL_BUDGET_EMAIL,
    budgetUsd: e.PORTAL_BUDGET_USD,
    notebookInstanceType: e.PORTAL_NOTEBOOK_INSTANCE_TYPE,
    notebookSubnet: e.PORTAL_NOTEBOOK_SUBNET,
    cloudFormationRoleArn: e.PORTAL_CFN_ROLE_ARN,
    accessStack: e.PORTAL_ACCESS_STACK,
    workerCapacity: e.PORTAL_WORKER_CAPACITY,
    daskImage: e.DASK_IMAGE,
    era5Months: e.PORTAL_ERA5_MONTHS,
    templateDir: repoPath("cloudformation"),
    callBudget: parseCallBudget(e.PORTAL_AWS_CALL_BUDGET),
    cadence: parseCadence(e.PORTAL_AWS_POLL_MS),
    ...(e.PORTAL_AWS_TEMPLATE_TRANSFORM === "moto" ? { templateTransform: motoTemplateTransform(e.AWS_ENDPOINT_URL) } : {}),
    ...overrides,
  };
}
