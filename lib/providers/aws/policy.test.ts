import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The portal's IAM policy (generated from cloudformation/portal-access.yaml) must allow
// exactly the calls the provider sends: a command added without its permission fails in
// production, a permission left behind is a privilege nobody needs.
const root = path.resolve(__dirname, "../../..");
const policy = JSON.parse(readFileSync(path.join(root, "cloudformation/portal-policy.json"), "utf8")) as {
  Statement: { Action: string | string[] }[];
};

/** Calls the portal makes that are not SDK commands of its own. */
const notSentByTheProvider = new Set([
  // CreateStack/DeleteStack hand the work to the access stack's deploy role.
  "iam:PassRole",
  // CreateStack with Tags is also authorised as TagResource on the new stack.
  "cloudformation:TagResource",
  // CreateLogGroup with tags is also authorised as TagResource on the new group.
  "logs:TagResource",
]);

const servicePrefix: Record<string, string> = {
  "client-cloudformation": "cloudformation",
  "client-ecs": "ecs",
  "client-cloudwatch-logs": "logs",
  "client-ec2": "ec2",
  "client-sagemaker": "sagemaker",
  "client-service-quotas": "servicequotas",
  "client-codebuild": "codebuild",
  "client-iam": "iam",
  "client-ecr": "ecr",
  "client-s3": "s3",
  "client-cost-explorer": "ce",
  "client-budgets": "budgets",
};

/**
 * Calls whose IAM action is named otherwise: ListObjectsV2 is allowed by s3:ListBucket, and
 * DeleteObjects by s3:DeleteObject on each key (docs/aws.md, "The room's image").
 */
const iamActionOf: Record<string, string> = {
  "s3:ListObjectsV2": "s3:ListBucket",
  "s3:DeleteObjects": "s3:DeleteObject",
  // Budgets' DescribeBudget is authorised as budgets:ViewBudget.
  "budgets:DescribeBudget": "budgets:ViewBudget",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** The AWS provider, and the store's copies in the host stack's bucket (lib/backup). */
const callers = ["lib/providers/aws", "lib/backup"];

function actionsSent(): Set<string> {
  const actions = new Set<string>();
  for (const file of callers.flatMap((dir) => sourceFiles(path.join(root, dir)))) {
    const text = readFileSync(file, "utf8");
    const commandClient = new Map<string, string>();
    for (const m of text.matchAll(/import\s*{([^}]*)}\s*from\s*"@aws-sdk\/(client-[a-z0-9-]+)"/g)) {
      for (const name of m[1].split(",").map((n) => n.replace(/^\s*type\s+/, "").trim())) {
        if (name.endsWith("Command")) commandClient.set(name, m[2]);
      }
    }
    for (const m of text.matchAll(/new\s+([A-Za-z0-9]+)Command\(/g)) {
      const client = commandClient.get(`${m[1]}Command`);
      if (!client) throw new Error(`${file}: ${m[1]}Command is not imported from an @aws-sdk client`);
      const call = `${servicePrefix[client]}:${m[1]}`;
      actions.add(iamActionOf[call] ?? call);
    }
  }
  return actions;
}

describe("portal IAM policy", () => {
  const allowed = new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

  it("allows every call the AWS provider sends", () => {
    const missing = [...actionsSent()].filter((a) => !allowed.has(a));
    expect(missing).toEqual([]);
  });

  it("allows nothing the AWS provider does not send", () => {
    const sent = actionsSent();
    const unused = [...allowed].filter((a) => !sent.has(a) && !notSentByTheProvider.has(a));
    expect(unused).toEqual([]);
  });

  it("has no wildcard actions", () => {
    expect([...allowed].filter((a) => a.includes("*"))).toEqual([]);
  });
});
