import path from "node:path";
import { z } from "zod";
import { parseTrustedProxies } from "@/lib/auth/client-address";

// The portal's configuration: every environment variable it reads, validated here and
// nowhere else (README and .env.example document them), once, into a PortalConfig that is
// handed down (createProvider(config), the runtime, the local provider's settings). Other
// modules receive typed values; none of them reads process.env (eslint.config.mjs refuses it).

const workerCount = z.coerce.number().int().min(0).max(64);
const positiveMs = z.coerce.number().int().min(0).max(24 * 60 * 60_000);
const tcpPort = z.coerce.number().int().min(1).max(65_535);
const memorySize = (min: "0" | "1") =>
  z.string().regex(min === "1" ? /^[1-9]\d{0,5}(GiB|MiB)$/ : /^\d{1,6}(GiB|MiB)$/, "a size such as 2GiB or 512MiB");

/** What an operator may accept when this machine cannot isolate environments fully (README, "Isolation"). */
export const weakerModes = ["shared-network", "uncapped"] as const;
export type WeakerMode = (typeof weakerModes)[number];

const acceptedWeakerModes = z
  .string()
  .default("")
  .transform((value, ctx) => {
    const modes = value.split(",").map((m) => m.trim()).filter(Boolean);
    const unknown = modes.filter((m) => !(weakerModes as readonly string[]).includes(m));
    if (unknown.length) {
      ctx.addIssue({ code: "custom", message: `unknown mode ${JSON.stringify(unknown[0])}; give a comma-separated list of ${weakerModes.join(", ")}` });
      return z.NEVER;
    }
    return [...new Set(modes)] as WeakerMode[];
  });

/** One domain name (each label a-z, 0-9 and inner hyphens), optionally with a port: content.example.org, content.localhost:3001. */
const contentDomain = z
  .string()
  .regex(
    /^(?=.{1,200}(:|$))([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/i,
    "a domain name whose subdomains reach the portal's content port, e.g. content.example.org (optionally with :port)",
  );

const portalEnvSchema = z.object({
  PORTAL_PROVIDER: z.enum(["local", "aws"]).default("local"),
  PORTAL_DATA_DIR: z.string().min(1).default("data"),
  EVENT_NAME: z.string().min(1).max(120).default("Dask on AWS ECS workshop"),
  PORTAL_MAX_WORKERS: workerCount.optional(),
  PORTAL_DEFAULT_WORKERS: workerCount.default(2),
  PORTAL_MAX_ATTENDEES: z.coerce.number().int().min(1).max(10_000).default(150),
  PORTAL_PYTHON_ENV: z.string().min(1).default(".venv"),
  PORTAL_LOCAL_WORKER_MEMORY: memorySize("1").default("2GiB"),
  PORTAL_LOCAL_MEMORY_RESERVE: memorySize("0").default("2GiB"),
  PORTAL_LOCAL_NOTEBOOK_MEMORY: memorySize("1").default("1GiB"),
  PORTAL_LOCAL_CPUS: z.coerce.number().min(0.1).max(1024).default(2),
  PORTAL_LOCAL_GRACE_MS: positiveMs.default(5_000),
  PORTAL_LOCAL_CREATE_TIMEOUT_MS: positiveMs.default(120_000),
  PORTAL_LOCAL_ISOLATION: z.enum(["sandbox", "none"]).default("sandbox"),
  PORTAL_LOCAL_EGRESS: z.enum(["public", "none"]).default("public"),
  PORTAL_LOCAL_ACCEPT: acceptedWeakerModes,
  PORT: tcpPort.default(3000),
  PORTAL_CONTENT_PORT: tcpPort.optional(),
  PORTAL_CONTENT_PUBLIC_PORT: tcpPort.optional(),
  PORTAL_CONTENT_DOMAIN: z.preprocess((v) => (v === "" ? undefined : v), contentDomain.optional()),
  ERA5_DATA_URL: z.string().min(1).optional(),
  NEXTAUTH_URL: z.url("NEXTAUTH_URL must be the portal's public URL, e.g. https://workshop.example.org").optional(),
  PORTAL_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((value, ctx) => {
      const parsed = parseTrustedProxies(value);
      if ("entries" in parsed) return parsed.entries;
      ctx.addIssue({ code: "custom", message: `${parsed.error}; give comma-separated addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8` });
      return z.NEVER;
    }),
  PORTAL_STREAMS_PER_USER: z.coerce.number().int().min(1).max(100).default(8),
  PORTAL_STREAM_RETENTION_HOURS: z.coerce.number().min(0).max(24 * 365).default(24),
  PORTAL_STREAM_EVENTS_KEPT: z.coerce.number().int().min(100).max(1_000_000).default(5_000),
  PORTAL_STUCK_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(10),
  PORTAL_BACKUP_EVERY_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(5),
  PORTAL_BACKUPS_KEPT: z.coerce.number().int().min(1).max(10_000).default(24),
  // S3's naming rules for a bucket: 3-63 lowercase letters, digits, dots and hyphens.
  PORTAL_BACKUP_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name (the host stack's BackupBucket output)")
    .optional(),
});

const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/([89]|[12]\d|3[0-2])$/, "an IPv4 CIDR from /8 to /32 (never 0.0.0.0/0)");

/** Most months PORTAL_ERA5_MONTHS may name: preflight lists each one in the bucket. */
export const maxEra5Months = 120;
const era5MonthsHelp = "a month (2021-01), a range (2021-01..2021-12) or a comma-separated list of them, months 01-12 from 1940 on";

function era5Month(text: string): number | null {
  const match = /^(\d{4})-(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  return year >= 1940 && month >= 1 && month <= 12 ? year * 12 + (month - 1) : null;
}

/**
 * The ERA5 months the room reads, as "YYYYMM" in order, from "2021-01..2021-12",
 * "2021-01,2021-03" or "2021-06"; null when the text is not one of those.
 */
export function parseEra5Months(text: string): string[] | null {
  const months = new Set<number>();
  for (const part of text.split(",")) {
    const [from, to, extra] = part.split("..");
    if (extra !== undefined) return null;
    const start = era5Month(from);
    const end = to === undefined ? start : era5Month(to);
    if (start === null || end === null || end < start) return null;
    for (let m = start; m <= end && months.size <= maxEra5Months; m++) months.add(m);
  }
  if (months.size === 0 || months.size > maxEra5Months) return null;
  return [...months].sort((a, b) => a - b).map((m) => `${Math.floor(m / 12)}${String((m % 12) + 1).padStart(2, "0")}`);
}

const era5Months = z.string().transform((text, ctx) => {
  const months = parseEra5Months(text);
  if (!months) {
    ctx.addIssue({ code: "custom", message: `${era5MonthsHelp}, at most ${maxEra5Months} months (got "${text.slice(0, 40)}")` });
    return z.NEVER;
  }
  return months;
});

const awsAccessSchema = z.object({
  // ERA5 (s3://nsf-ncar-era5) is in us-west-2; stacks there read it in-region.
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region name such as us-west-2")
    .default("us-west-2"),
  AWS_ENDPOINT_URL: z.url().optional(),
  // The SDK's own per-service variable; the moto harness points CodeBuild at its player with it.
  AWS_ENDPOINT_URL_CODEBUILD: z.preprocess((v) => (v === "" ? undefined : v), z.url().optional()),
});

const awsEnvSchema = awsAccessSchema
  .extend({
    PORTAL_AWS_MODE: z.enum(["solo", "event"]).default("solo"),
    PORTAL_EVENT_STACK: z.string().regex(/^[A-Za-z][-A-Za-z0-9]{0,127}$/).optional(),
    PORTAL_EVENT_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/).default("dask-workshop"),
    PORTAL_MAX_WORKERS: workerCount.default(12),
    PORTAL_DEFAULT_WORKERS: workerCount.default(2),
    PORTAL_DASHBOARD_CIDR: cidr.default("127.0.0.1/32"),
    // How browsers reach the Dask dashboards: each viewer's address admitted (address), or
    // through the portal's proxy to the schedulers' private addresses (vpc: the portal runs in
    // the event's VPC, in the security group PORTAL_HOST_SECURITY_GROUP names).
    PORTAL_DASHBOARD_ACCESS: z
      .enum(["address", "vpc"], "address (each viewer's address is let in) or vpc (the portal runs in the event's VPC and proxies dashboards)")
      .default("address"),
    PORTAL_HOST_SECURITY_GROUP: z.string().regex(/^sg-[0-9a-f]{8,17}$/, "a security group id such as sg-0123456789abcdef0 (the host stack's HostSecurityGroupId output)").optional(),
    PORTAL_NOTEBOOK_REPO_URL: z.url().optional(),
    // The event stack's budget: where its alerts go (no address, no budget) and its monthly limit.
    PORTAL_BUDGET_EMAIL: z.email("must be an email address").optional(),
    PORTAL_BUDGET_USD: z.coerce.number().int().min(1).max(1_000_000).default(100),
    // The notebooks' kernel is built from this commit of PORTAL_NOTEBOOK_REPO_URL; unset: the portal's own.
    PORTAL_NOTEBOOK_REPO_COMMIT: z
      .string()
      .regex(/^[0-9a-f]{40}$/, "must be a full 40-character git commit id (git rev-parse HEAD)")
      .optional(),
    // The attendee template's NotebookInstanceType AllowedValues.
    PORTAL_NOTEBOOK_INSTANCE_TYPE: z.enum(["ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.m5.xlarge"]).default("ml.t3.medium"),
    PORTAL_CFN_ROLE_ARN: z.string().startsWith("arn:").optional(),
    // Which private subnet (Availability Zone) holds the notebooks: the template's NotebookSubnet.
    PORTAL_NOTEBOOK_SUBNET: z.enum(["A", "B"], "A or B (the event's first or second private subnet)").optional(),
    // The administrator's access stack (cloudformation/portal-access.yaml): its outputs name the deploy role.
    PORTAL_ACCESS_STACK: z.string().regex(/^[A-Za-z][-A-Za-z0-9]{0,127}$/, "a CloudFormation stack name").default("portal-access"),
    PORTAL_WORKER_CAPACITY: z.enum(["FARGATE_SPOT", "FARGATE"]).optional(),
    // Empty means unset, so a test or a shell can take a configured image away.
    DASK_IMAGE: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional()),
    // The ERA5 months the room's notebooks read; preflight checks each is in s3://nsf-ncar-era5.
    PORTAL_ERA5_MONTHS: era5Months.prefault("2021-01..2021-12"),
    PORTAL_AWS_TEMPLATE_TRANSFORM: z.enum(["moto"]).optional(),
    PORTAL_AWS_CALL_BUDGET: z
      .string()
      .regex(/^\s*([a-z0-9-]+=\d+(\.\d+)?\s*(,\s*|$))*$/, "comma-separated family=calls-per-second, e.g. ecs-read=5,logs-read=2")
      .optional(),
    PORTAL_AWS_POLL_MS: z
      .string()
      .regex(/^\s*((changing|settled|stacks|logs|overlap)=\d+\s*(,\s*|$))*$/, "comma-separated changing=, settled=, stacks=, logs=, overlap= in ms")
      .optional(),
  })
  .refine((env) => env.PORTAL_AWS_MODE === "solo" || env.PORTAL_EVENT_STACK, {
    message: "PORTAL_EVENT_STACK (the facilitator's event stack) is required when PORTAL_AWS_MODE=event",
    path: ["PORTAL_EVENT_STACK"],
  })
  .refine((env) => env.PORTAL_DASHBOARD_ACCESS === "address" || env.PORTAL_AWS_MODE === "event", {
    message: "vpc needs PORTAL_AWS_MODE=event: only the event's VPC holds both the portal host and the schedulers",
    path: ["PORTAL_DASHBOARD_ACCESS"],
  })
  .refine((env) => env.PORTAL_DASHBOARD_ACCESS === "address" || env.PORTAL_HOST_SECURITY_GROUP, {
    message: "PORTAL_HOST_SECURITY_GROUP (the portal host's security group, which the schedulers admit on 8787) is required when PORTAL_DASHBOARD_ACCESS=vpc",
    path: ["PORTAL_HOST_SECURITY_GROUP"],
  });

export type Env = Record<string, string | undefined>;

/** How the portal reaches AWS: the provider's clients, and the store's backups in the host's bucket. */
export interface AwsAccess {
  region: string;
  /** Every client's endpoint in place of AWS's own (AWS_ENDPOINT_URL: moto, LocalStack). */
  endpoint?: string;
  /** CodeBuild's own, which wins over `endpoint` as it does in the SDK (AWS_ENDPOINT_URL_CODEBUILD). */
  codebuildEndpoint?: string;
}

export interface Cadence {
  /** Stacks, tasks and services of an environment that is changing (or was just acted on). */
  changingMs: number;
  /** Tasks and services of an environment where nothing is expected to change by itself. */
  settledMs: number;
  /**
   * The stack of such an environment. A stack that is not in progress changes only when
   * someone acts on it, and the portal's own actions make it read closely again; what this
   * bounds is how late a change made outside the portal (a console delete) is noticed.
   */
  settledStacksMs: number;
  /** Log reads (the room's one cursor in event mode; each environment's in solo mode). */
  logsMs: number;
  /** How far back each log read reaches for lines that became visible late. */
  overlapMs: number;
}

export const defaultCadence: Cadence = { changingMs: 2_000, settledMs: 30_000, settledStacksMs: 300_000, logsMs: 1_000, overlapMs: 10_000 };

/**
 * Families of AWS calls that share an account-wide quota. Each gets one token bucket
 * sized below that quota, so the portal's calls grow with environments, never past
 * what the account allows (ECS cluster reads 20/s, FilterLogEvents 10/s at worst).
 */
export const apiFamilies = ["cfn-read", "cfn-events", "cfn-write", "ecs-read", "ecs-write", "logs-read", "logs-write", "ec2-read", "ec2-write", "sagemaker", "image"] as const;
export type ApiFamily = (typeof apiFamilies)[number];

export interface BucketSize {
  /** Tokens added per second (sustained calls per second). */
  ratePerSecond: number;
  /** Most calls allowed in a burst. */
  burst: number;
}

/**
 * The portal's default budget: reads well under the account's quotas (ECS 20/s,
 * FilterLogEvents 10/s, CloudFormation reads are shared with the console and CI), and
 * bursts of at most two, so the calls spread out instead of arriving together.
 * PORTAL_AWS_CALL_BUDGET overrides the rates (below); lib/providers/aws/limiter.ts spends them.
 */
export const defaultBucketSizes: Record<ApiFamily, BucketSize> = {
  // CloudFormation reads, 2/s in all: stack events have their own share, so reading the
  // events of many changing stacks never holds up the room's stack status.
  "cfn-read": { ratePerSecond: 1, burst: 2 },
  "cfn-events": { ratePerSecond: 1, burst: 2 },
  "cfn-write": { ratePerSecond: 1, burst: 3 },
  "ecs-read": { ratePerSecond: 5, burst: 2 },
  "ecs-write": { ratePerSecond: 5, burst: 5 },
  "logs-read": { ratePerSecond: 2, burst: 2 },
  // The notebooks' log group made once, and a deleted environment's notebook streams removed.
  "logs-write": { ratePerSecond: 2, burst: 3 },
  "ec2-read": { ratePerSecond: 5, burst: 2 },
  // Security group rules for dashboard viewers: one or two per click, never polled.
  "ec2-write": { ratePerSecond: 2, burst: 3 },
  sagemaker: { ratePerSecond: 2, burst: 4 },
  // The room's image: CodeBuild, ECR and S3 calls of the facilitator's build card.
  image: { ratePerSecond: 2, burst: 4 },
};

/**
 * How browsers reach the schedulers' dashboards: at the scheduler's public address, each
 * viewer's address admitted on its security group; or through the portal's content origin to
 * the scheduler's private address, the portal running in the event's VPC in `portalSecurityGroup`.
 */
export type DashboardReach = { mode: "address" } | { mode: "vpc"; portalSecurityGroup: string };

/** The AWS provider's settings (PORTAL_PROVIDER=aws); lib/providers/aws/config.ts adds what only it needs. */
export interface AwsConfig extends AwsAccess {
  mode: "solo" | "event";
  eventStack?: string;
  eventId: string;
  maxWorkers: number;
  defaultWorkers: number;
  dashboardCidr: string;
  /** How browsers reach the dashboards (PORTAL_DASHBOARD_ACCESS). */
  dashboardAccess: DashboardReach;
  notebookRepoUrl?: string;
  /** The event's budget (event.yaml's Budget): its alert address (none: no budget) and monthly limit in USD. */
  budgetAlertEmail?: string;
  budgetUsd: number;
  /** The commit of notebookRepoUrl the notebooks' kernel is built from (PORTAL_NOTEBOOK_REPO_COMMIT); unset: the portal's own. */
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
  /** Calls per second each family of AWS APIs may use, all pollers and actions together. */
  callBudget: Record<ApiFamily, BucketSize>;
  /** How stale what the portal shows may get (see docs/aws.md, "How the provider behaves"). */
  cadence: Cadence;
  /** Tests only (PORTAL_AWS_TEMPLATE_TRANSFORM): templates pass through the moto harness first. */
  templateTransform?: "moto";
}

export interface LocalConfig {
  /** Absolute path of the virtualenv made from docker/requirements.txt. */
  pythonEnv: string;
  /** `--memory-limit` of each worker, as Dask reads it (2GiB, 512MiB), and the same in MiB. */
  workerMemory: string;
  workerMemoryMiB: number;
  /** What an environment's scheduler, JupyterLab and kernels may use together, on top of its workers' limits (MiB). */
  notebookMemoryMiB: number;
  /** CPUs one environment's processes may use together. */
  cpus: number;
  /** Memory kept free for the portal and the system when planning environments (MiB). */
  memoryReserveMiB: number;
  /** How long a stopping task gets after SIGTERM before SIGKILL (ECS's stop timeout). */
  graceMs: number;
  /** A create that is not ready after this long fails, as a stuck CloudFormation resource would. */
  createTimeoutMs: number;
  /** Where the notebook reads ERA5-like files. */
  sampleDataUrl: string;
  /** What the processes the portal starts get of its own environment (never its secrets). */
  inherited: { PATH: string; HOME?: string; LANG: string };
  /** `sandbox`: each environment runs in bubblewrap (deploys refused without it); `none`: a single-user machine. */
  isolation: "sandbox" | "none";
  /** A sandbox's way out: `public` (the internet, never this machine or a private network) or `none`. */
  egress: "public" | "none";
  /** Weaker isolation the operator accepts when this machine cannot do better. */
  accept: WeakerMode[];
}

/** Where JupyterLab and the dashboards are served: an origin other than the portal's. */
export interface ContentConfig {
  /** The port the content server listens on (PORTAL_CONTENT_PORT, default PORT + 1). */
  port: number;
  /** The portal's own port (PORT), which a browser at the content origin is sent back to in port mode. */
  portalPort: number;
  /** Per-environment subdomains of this domain (PORTAL_CONTENT_DOMAIN), when set; else the portal's host on `port`. */
  domain?: string;
  /**
   * The port browsers reach the content origin on when a TLS proxy in front listens on another
   * than `port` (PORTAL_CONTENT_PUBLIC_PORT; deploy/install.sh --content-port). The portal's
   * own origin is then its public URL (NEXTAUTH_URL).
   */
  publicPort?: number;
}

export interface PortalConfig {
  provider: "local" | "aws";
  /** Absolute: SQLite database, secrets, local environments, sample data. */
  dataDir: string;
  eventName: string;
  /** Worker counts an attendee may choose, and what a deploy starts with. */
  workers: { max: number; default: number };
  /** The portal's public URL (NEXTAUTH_URL), when given. */
  publicUrl?: string;
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDRs); none by default. */
  trustedProxies: string[];
  /** How many attendees may join the event (each may run one environment). */
  maxAttendees: number;
  /** The pace card's "stuck": no progress for this many minutes while showing a diagnosis or asking for help. */
  stuckMinutes: number;
  local: LocalConfig;
  /** The AWS provider's settings: set exactly when `provider` is `aws`. */
  aws?: AwsConfig;
  content: ContentConfig;
  streams: StreamsConfig;
  backup: BackupConfig;
}

export interface BackupConfig {
  /** How often the store is copied to `<dataDir>/backups` while the portal runs. */
  everyMs: number;
  /** How many of those copies are kept; older ones are deleted. */
  kept: number;
  /** Where a copy goes at the event's end and on the facilitator's request; none without it. */
  bucket?: string;
  /** How that bucket is reached (AWS_REGION, AWS_ENDPOINT_URL): set exactly when `bucket` is. */
  aws?: AwsAccess;
}

export interface StreamsConfig {
  /** Live streams (environment, room, attendee together) one signed-in person may hold open. */
  perUser: number;
  /** How long a torn-down environment's stored stream events are kept. */
  retentionMs: number;
  /** Stored stream events kept per environment; older ones are deleted. */
  keptPerEnvironment: number;
}

/** A configuration error, worded for the person starting the portal. */
export class ConfigError extends Error {}

function parse<S extends z.ZodType>(schema: S, env: Env, what: string): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new ConfigError(`${what} configuration is invalid: ${problems}`);
}

// turbopackIgnore keeps the bundler from tracing the data folder or the Python env into the build.
const fromCwd = (p: string) => path.resolve(/* turbopackIgnore: true */ process.cwd(), p);

function mebibytes(size: string): number {
  const value = Number(size.slice(0, -3));
  return size.endsWith("GiB") ? value * 1024 : value;
}

/** The portal's settings, the AWS provider's among them when it is the one. Cheap: read it whenever needed. */
export function portalConfig(env: Env = process.env): PortalConfig {
  const e = parse(portalEnvSchema, env, "Portal");
  const dataDir = fromCwd(e.PORTAL_DATA_DIR);
  const aws = e.PORTAL_PROVIDER === "aws" ? awsConfig(env) : undefined;
  const max = aws ? aws.maxWorkers : (e.PORTAL_MAX_WORKERS ?? 4);
  const contentPort = e.PORTAL_CONTENT_PORT ?? e.PORT + 1;
  if (contentPort === e.PORT || contentPort > 65_535) {
    throw new ConfigError(`Portal configuration is invalid: PORTAL_CONTENT_PORT: ${contentPort} cannot serve the content origin beside PORT=${e.PORT}; give another port`);
  }
  if (e.PORTAL_CONTENT_DOMAIN && !e.NEXTAUTH_URL) {
    throw new ConfigError("Portal configuration is invalid: PORTAL_CONTENT_DOMAIN needs NEXTAUTH_URL, the portal's public URL, to send browsers back to the portal");
  }
  if (e.PORTAL_CONTENT_PUBLIC_PORT && !e.NEXTAUTH_URL) {
    throw new ConfigError("Portal configuration is invalid: PORTAL_CONTENT_PUBLIC_PORT needs NEXTAUTH_URL, the portal's public URL behind the same proxy, to send browsers back to the portal");
  }
  return {
    provider: e.PORTAL_PROVIDER,
    dataDir,
    eventName: e.EVENT_NAME,
    workers: { max, default: Math.min(e.PORTAL_DEFAULT_WORKERS, max) },
    publicUrl: e.NEXTAUTH_URL,
    trustedProxies: e.PORTAL_TRUSTED_PROXIES,
    maxAttendees: e.PORTAL_MAX_ATTENDEES,
    stuckMinutes: e.PORTAL_STUCK_MINUTES,
    local: {
      pythonEnv: fromCwd(e.PORTAL_PYTHON_ENV),
      workerMemory: e.PORTAL_LOCAL_WORKER_MEMORY,
      workerMemoryMiB: mebibytes(e.PORTAL_LOCAL_WORKER_MEMORY),
      notebookMemoryMiB: mebibytes(e.PORTAL_LOCAL_NOTEBOOK_MEMORY),
      cpus: e.PORTAL_LOCAL_CPUS,
      memoryReserveMiB: mebibytes(e.PORTAL_LOCAL_MEMORY_RESERVE),
      graceMs: e.PORTAL_LOCAL_GRACE_MS,
      createTimeoutMs: e.PORTAL_LOCAL_CREATE_TIMEOUT_MS,
      sampleDataUrl: fromCwd(e.ERA5_DATA_URL ?? path.join(dataDir, "sample", "era5")),
      inherited: { PATH: env.PATH ?? "/usr/bin:/bin", HOME: env.HOME, LANG: env.LANG ?? "C.UTF-8" },
      isolation: e.PORTAL_LOCAL_ISOLATION,
      egress: e.PORTAL_LOCAL_EGRESS,
      accept: e.PORTAL_LOCAL_ACCEPT,
    },
    aws,
    content: { port: contentPort, portalPort: e.PORT, domain: e.PORTAL_CONTENT_DOMAIN, publicPort: e.PORTAL_CONTENT_PUBLIC_PORT },
    streams: {
      perUser: e.PORTAL_STREAMS_PER_USER,
      retentionMs: e.PORTAL_STREAM_RETENTION_HOURS * 60 * 60_000,
      keptPerEnvironment: e.PORTAL_STREAM_EVENTS_KEPT,
    },
    backup: {
      everyMs: e.PORTAL_BACKUP_EVERY_MINUTES * 60_000,
      kept: e.PORTAL_BACKUPS_KEPT,
      bucket: e.PORTAL_BACKUP_BUCKET,
      aws: e.PORTAL_BACKUP_BUCKET ? (aws ?? awsAccess(env)) : undefined,
    },
  };
}

/** The configuration a portal on another data folder would have (tests, benchmarks, tools). */
export function portalConfigIn(dataDir: string, env: Env = process.env): PortalConfig {
  return portalConfig({ ...env, PORTAL_DATA_DIR: dataDir });
}

/** How the portal reaches AWS, for what needs AWS without the AWS provider (the store's backups, `make restore`). */
export function awsAccess(env: Env = process.env): AwsAccess {
  const e = parse(awsAccessSchema, env, "AWS provider");
  return { region: e.AWS_REGION, endpoint: e.AWS_ENDPOINT_URL, codebuildEndpoint: e.AWS_ENDPOINT_URL_CODEBUILD };
}

/** The AWS provider's settings: what portalConfig() holds for PORTAL_PROVIDER=aws, or these variables' (tests, tools). */
export function awsConfig(env: Env): AwsConfig {
  const e = parse(awsEnvSchema, env, "AWS provider");
  return {
    region: e.AWS_REGION,
    endpoint: e.AWS_ENDPOINT_URL,
    codebuildEndpoint: e.AWS_ENDPOINT_URL_CODEBUILD,
    mode: e.PORTAL_AWS_MODE,
    eventStack: e.PORTAL_EVENT_STACK,
    eventId: e.PORTAL_EVENT_ID,
    maxWorkers: e.PORTAL_MAX_WORKERS,
    defaultWorkers: Math.min(e.PORTAL_DEFAULT_WORKERS, e.PORTAL_MAX_WORKERS),
    dashboardCidr: e.PORTAL_DASHBOARD_CIDR,
    dashboardAccess:
      e.PORTAL_DASHBOARD_ACCESS === "vpc" && e.PORTAL_HOST_SECURITY_GROUP
        ? { mode: "vpc", portalSecurityGroup: e.PORTAL_HOST_SECURITY_GROUP }
        : { mode: "address" },
    notebookRepoUrl: e.PORTAL_NOTEBOOK_REPO_URL,
    notebookRepoCommit: e.PORTAL_NOTEBOOK_REPO_COMMIT,
    budgetAlertEmail: e.PORTAL_BUDGET_EMAIL,
    budgetUsd: e.PORTAL_BUDGET_USD,
    notebookInstanceType: e.PORTAL_NOTEBOOK_INSTANCE_TYPE,
    notebookSubnet: e.PORTAL_NOTEBOOK_SUBNET,
    cloudFormationRoleArn: e.PORTAL_CFN_ROLE_ARN,
    accessStack: e.PORTAL_ACCESS_STACK,
    workerCapacity: e.PORTAL_WORKER_CAPACITY,
    daskImage: e.DASK_IMAGE,
    era5Months: e.PORTAL_ERA5_MONTHS,
    callBudget: parseCallBudget(e.PORTAL_AWS_CALL_BUDGET),
    cadence: parseCadence(e.PORTAL_AWS_POLL_MS),
    templateTransform: e.PORTAL_AWS_TEMPLATE_TRANSFORM,
  };
}

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

/** Reads "changing=2000,settled=30000,stacks=300000": the schema has checked the names and numbers already. */
function parseCadence(text: string | undefined): Cadence {
  const cadence = { ...defaultCadence };
  const names = { changing: "changingMs", settled: "settledMs", stacks: "settledStacksMs", logs: "logsMs", overlap: "overlapMs" } as const;
  for (const part of (text ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split("=") as [keyof typeof names, string];
    cadence[names[name]] = Number(value);
  }
  return cadence;
}

/** Where the repository's own files are (templates, notebooks, the moto harness): the working directory. */
export function repoPath(...parts: string[]): string {
  return path.join(/* turbopackIgnore: true */ process.cwd(), ...parts);
}

/** Whether this is `next dev`: React's development build evaluates code for its error overlay (proxy.ts's policy allows it). */
export function inDevelopment(): boolean {
  return process.env.NODE_ENV === "development";
}

/** The portal's public address (NEXTAUTH_URL) when it is a URL; cheap enough for every request (proxy.ts). */
export function publicUrl(env: Env = process.env): string | undefined {
  return z.url().safeParse(env.NEXTAUTH_URL).data;
}

/** Whether the portal's public address (NEXTAUTH_URL) is https: then its cookies are marked Secure. */
export function servedOverHttps(env: Env = process.env): boolean {
  return z.url({ protocol: /^https$/ }).safeParse(env.NEXTAUTH_URL).success;
}

export type SecretName = "EVENT_JOIN_CODE" | "FACILITATOR_PASSWORD" | "NEXTAUTH_SECRET";

/**
 * One of the event's secrets. The launcher (scripts/start.mjs) puts every secret in the
 * environment before the server starts, generating and storing any that were not given.
 * Never logged, never returned to a browser.
 */
export function secret(name: SecretName, env: Env = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is not set. Start the portal with \`make start\` or \`npm start\`.`);
  return value;
}

/** A secret that may be absent (next-auth then reads NEXTAUTH_SECRET itself, or refuses to sign). */
export function secretIfSet(name: SecretName, env: Env = process.env): string | undefined {
  return env[name] || undefined;
}
