import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

// The CloudFormation registry schemas cfn-lint ships (.venv-tools, pinned in
// tools/requirements.txt): for each resource type, the permissions its create, update and
// delete handlers need (`handlers.<op>.permissions`) and the properties it marks deprecated.

export type Operation = "create" | "update" | "delete";
export const operations: Operation[] = ["create", "update", "delete"];

export interface TypeSchema {
  permissions: Record<Operation, string[]>;
  deprecatedProperties: string[];
  /** Where the permissions came from: the registry schema, or LEGACY_HANDLERS below. */
  from: "registry" | "legacy";
}

/**
 * Types whose schema publishes no handlers (they are not yet on the registry's handler
 * model), with the calls CloudFormation makes for them as their service's API permissions
 * reference lists them.
 */
const LEGACY_HANDLERS: Record<string, { permissions: Record<Operation, string[]>; source: string }> = {
  // CodeBuild's permissions reference: CreateProject/UpdateProject need iam:PassRole for the
  // service role; CloudFormation reads the project back with BatchGetProjects.
  "AWS::CodeBuild::Project": {
    permissions: {
      create: ["codebuild:CreateProject", "codebuild:BatchGetProjects", "iam:PassRole"],
      update: ["codebuild:UpdateProject", "codebuild:BatchGetProjects", "iam:PassRole"],
      delete: ["codebuild:DeleteProject"],
    },
    source: "https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-permissions-reference.html",
  },
  // CloudFormation's own resource: it has no properties, Ref is a URL CloudFormation presigns
  // for its own signal bucket, and updates are not supported. It acts on no other service, so
  // it needs no permission of the caller or of the stack's role (an inference from the
  // reference page, which lists no permission; the real account's first deploy confirms it).
  "AWS::CloudFormation::WaitConditionHandle": {
    permissions: { create: [], update: [], delete: [] },
    source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-waitconditionhandle.html",
  },
};

/**
 * API names the schemas list where IAM authorises the call under another action: S3's
 * Delete*Configuration calls are authorised as the matching Put* (each API reference page
 * says so, e.g. DeleteBucketEncryption: "you must have permission to perform the
 * s3:PutEncryptionConfiguration action"), and PutObjectLockConfiguration is
 * s3:PutBucketObjectLockConfiguration in IAM.
 */
const IAM_NAMES: Record<string, string> = {
  "s3:DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
  "s3:DeleteBucketCors": "s3:PutBucketCORS",
  "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
  "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
  "s3:DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
  "s3:DeleteBucketReplication": "s3:PutReplicationConfiguration",
  "s3:PutBucketReplication": "s3:PutReplicationConfiguration",
  "s3:PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
};

export function iamAction(listed: string): string {
  return IAM_NAMES[listed] ?? listed;
}

export function legacySource(type: string): string | undefined {
  return LEGACY_HANDLERS[type]?.source;
}

function schemaRoot(repoRoot: string): string {
  const lib = path.join(repoRoot, ".venv-tools/lib");
  const python = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith("python")) : undefined;
  const root = python && path.join(lib, python, "site-packages/cfnlint/data/schemas");
  if (!root || !existsSync(root)) throw new Error("cfn-lint's schemas are missing: run `make tools` (tools/requirements.txt pins cfn-lint)");
  return root;
}

export class Schemas {
  private readonly root: string;
  private readonly index: Record<string, string>;
  private readonly cache = new Map<string, TypeSchema>();

  constructor(repoRoot: string, region: string) {
    this.root = schemaRoot(repoRoot);
    this.index = JSON.parse(readFileSync(path.join(this.root, "providers", `${region}.json`), "utf8"));
  }

  /** The type's top-level property names. */
  propertyNames(type: string): string[] {
    return Object.keys(this.read(type).properties ?? {});
  }

  private read(type: string): { handlers?: Partial<Record<Operation, { permissions?: string[] }>>; deprecatedProperties?: string[]; properties?: Record<string, unknown> } {
    const file = this.index[type];
    if (!file) throw new Error(`${type} is not a resource type cfn-lint knows in this region`);
    return JSON.parse(readFileSync(path.join(this.root, "resources", `${file}.json`), "utf8"));
  }

  type(type: string): TypeSchema {
    const cached = this.cache.get(type);
    if (cached) return cached;
    const schema = this.read(type);
    const legacy = LEGACY_HANDLERS[type];
    const result: TypeSchema = schema.handlers
      ? {
          permissions: Object.fromEntries(operations.map((op) => [op, schema.handlers?.[op]?.permissions ?? []])) as Record<Operation, string[]>,
          deprecatedProperties: schema.deprecatedProperties ?? [],
          from: "registry",
        }
      : legacy
        ? { permissions: legacy.permissions, deprecatedProperties: schema.deprecatedProperties ?? [], from: "legacy" }
        : (() => {
            throw new Error(`${type} publishes no handler permissions and has no entry in LEGACY_HANDLERS (cloudformation/oracle/schemas.ts)`);
          })();
    this.cache.set(type, result);
    return result;
  }
}
