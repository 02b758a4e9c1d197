import "server-only";
import { DescribeImagesCommand, type ImageDetail } from "@aws-sdk/client-ecr";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { pinsHash, pinsOfImage } from "@/lib/image/pins";
import { pinsAtCommit } from "@/lib/image/repo-commit";
import type { PreflightCheckLine } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { outputsOf } from "./stack";
import { describeStack } from "./stack-reads";

// The preflight lines of the day itself that are there or not: the access stack and its
// role, the room's image in ECR, the notebooks' commit, and the ERA5 months in
// s3://nsf-ncar-era5. Each line that is not green says in one sentence how to fix it
// (docs/aws.md, "Preflight"); the ones that take days are in before-event.ts.

/** One-off account reads (IAM, ECR, S3) share the budget of the other account-level reads. */
export const accountReads = "ec2-read" as const;

export const era5Bucket = "nsf-ncar-era5";
export const era5Region = "us-west-2";

type Check = Omit<PreflightCheckLine, "kind" | "key" | "label">;

export function check(key: PreflightCheckLine["key"], label: string, found: Omit<Check, "stage">, stage: PreflightCheckLine["stage"] = "day"): PreflightCheckLine {
  return { kind: "check", key, label, stage, ...found };
}

/** The sentence a person may read for a failed call: AWS's own words, never a stack trace. */
export function why(error: unknown, doing: string): string {
  return toProviderError(error, doing).message;
}

const isAccessDenied = (error: unknown) => /AccessDenied|UnauthorizedOperation/.test(errorName(error));

/** Whether a role exists: true, false (NoSuchEntity), or the error when IAM would not say. */
export async function roleExists(ctx: AwsContext, roleName: string): Promise<boolean> {
  try {
    await ctx.limiter.run(accountReads, () => ctx.clients.iam.send(new GetRoleCommand({ RoleName: roleName })));
    return true;
  } catch (error) {
    if (errorName(error) === "NoSuchEntityException") return false;
    throw error;
  }
}

// ---- the access stack and the role CloudFormation acts with

/** "arn:aws:iam::123456789012:role/some/path/name" → "name". */
export function roleNameOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[^/]+\/)*([\w+=,.@-]{1,64})$/.exec(arn)?.[1];
}

const completeStates = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE"]);

export async function checkAccessStack(ctx: AwsContext): Promise<PreflightCheckLine> {
  const label = "Access stack and CloudFormation's role";
  const key = "access-stack";
  const { cloudFormationRoleArn: given, accessStack } = ctx.config;
  const deployIt = `have the account's administrator deploy cloudformation/portal-access.yaml as the stack ${accessStack} (docs/aws.md), or set PORTAL_ACCESS_STACK to the name it has`;
  try {
    let roleArn = given;
    if (!roleArn) {
      const stack = await describeStack(ctx.clients.cfn, ctx.limiter, accessStack);
      if (!stack) return check(key, label, { status: "fail", sentence: `The access stack ${accessStack} does not exist, so CloudFormation has no role to create the room's resources with.`, fix: `To fix it, ${deployIt}.` });
      const status = stack.StackStatus ?? "UNKNOWN";
      if (status.endsWith("_IN_PROGRESS")) {
        return check(key, label, { status: "warn", sentence: `The access stack ${accessStack} is ${status}.`, fix: "Wait until it is CREATE_COMPLETE or UPDATE_COMPLETE, then re-run these checks." });
      }
      if (!completeStates.has(status)) {
        return check(key, label, { status: "fail", sentence: `The access stack ${accessStack} is ${status}, not CREATE_COMPLETE or UPDATE_COMPLETE.`, fix: `Read its events in the CloudFormation console, fix the cause, and update or re-create it from cloudformation/portal-access.yaml.` });
      }
      roleArn = outputsOf(stack).CloudFormationRoleArn;
      if (!roleArn) {
        return check(key, label, { status: "fail", sentence: `The access stack ${accessStack} has no output CloudFormationRoleArn.`, fix: `Update ${accessStack} with the current cloudformation/portal-access.yaml, which has that output.` });
      }
    }
    const where = given ? "PORTAL_CFN_ROLE_ARN" : `the access stack ${accessStack}`;
    const name = roleNameOfArn(roleArn);
    if (!name) return check(key, label, { status: "fail", sentence: `${where} names ${roleArn}, which is not an IAM role ARN.`, fix: "Set PORTAL_CFN_ROLE_ARN to a role's ARN (arn:aws:iam::<account>:role/<name>), or unset it to use the access stack's role." });
    if (!(await roleExists(ctx, name))) {
      return check(key, label, {
        status: "fail",
        sentence: `The role ${roleArn} from ${where} does not exist.`,
        fix: given ? "Set PORTAL_CFN_ROLE_ARN to a role that exists, or unset it to use the access stack's role." : `Update or re-create ${accessStack} from cloudformation/portal-access.yaml so that its role exists again.`,
      });
    }
    return check(key, label, { status: "ok", sentence: `CloudFormation acts with ${roleArn} (from ${where}), which exists.` });
  } catch (error) {
    return check(key, label, {
      status: "warn",
      sentence: `The access stack and its role could not be read: ${why(error, "reading the access stack")}`,
      fix: `Check the stack ${accessStack} and its role in the console; the portal needs cloudformation:DescribeStacks on it and iam:GetRole on the role.`,
    });
  }
}

// ---- the room's image

export interface EcrImageRef {
  registryId: string;
  region: string;
  repositoryName: string;
  tag?: string;
  digest?: string;
}

/** An ECR image URI (or repository URI) split up; undefined when it is not an ECR address. */
export function parseEcrImage(uri: string): EcrImageRef | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(uri);
  if (!match) return undefined;
  const [, registryId, region, repositoryName, tag, digest] = match;
  return { registryId, region, repositoryName, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Every tag of every image that matches: DescribeImages page by page. */
async function imageTags(ctx: AwsContext, ref: EcrImageRef): Promise<string[]> {
  const imageIds = ref.digest ? [{ imageDigest: ref.digest }] : ref.tag ? [{ imageTag: ref.tag }] : undefined;
  const details: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.limiter.run(accountReads, () =>
      ctx.clients.ecr.send(
        new DescribeImagesCommand({
          registryId: ref.registryId,
          repositoryName: ref.repositoryName,
          ...(imageIds ? { imageIds } : { filter: { tagStatus: "TAGGED" }, nextToken }),
        }),
      ),
    );
    details.push(...(page.imageDetails ?? []));
    nextToken = imageIds ? undefined : page.nextToken;
  } while (nextToken);
  return details.flatMap((d) => d.imageTags ?? []);
}

const buildHere = "build the room's image on this page";

export async function checkRoomImage(ctx: AwsContext): Promise<PreflightCheckLine> {
  const label = "The room's image in ECR";
  const key = "room-image";
  const { daskImage, region, mode, eventStack } = ctx.config;
  let hash: string;
  try {
    hash = await pinsHash();
  } catch {
    return check(key, label, { status: "warn", sentence: "docker/requirements.txt could not be read, so the image's pins cannot be compared.", fix: "Run the portal from a full checkout of the repository." });
  }
  const wanted = `pins-${hash}`;

  let ref: EcrImageRef | undefined;
  let what: string;
  if (daskImage) {
    ref = parseEcrImage(daskImage);
    what = `DASK_IMAGE ${daskImage}`;
    if (!ref || ref.region !== region) {
      return check(key, label, {
        status: "warn",
        sentence: `The portal cannot check an image outside ECR in ${region} (DASK_IMAGE is ${daskImage}).`,
        fix: `Make sure it was built from this checkout's docker/ (its tag or label ${wanted}), or unset DASK_IMAGE and ${buildHere}.`,
      });
    }
  } else if (mode === "event") {
    let uri: string | undefined;
    try {
      const stack = eventStack ? await describeStack(ctx.clients.cfn, ctx.limiter, eventStack) : undefined;
      uri = stack ? outputsOf(stack).ImageRepositoryUri : undefined;
    } catch (error) {
      return check(key, label, { status: "warn", sentence: `The event stack could not be read: ${why(error, "reading the event stack")}`, fix: "Re-run these checks; if it persists, check the portal's cloudformation:DescribeStacks permission." });
    }
    if (!uri) {
      return check(key, label, {
        status: "warn",
        sentence: `The event stack ${eventStack} has no image repository yet (output ImageRepositoryUri).`,
        fix: `Deploy or update the event stack on this page, then ${buildHere}.`,
      });
    }
    ref = parseEcrImage(uri);
    what = `the event's repository ${uri}`;
    if (!ref) return check(key, label, { status: "warn", sentence: `The event stack's ImageRepositoryUri ${uri} is not an ECR address.`, fix: "Update the event stack from cloudformation/event.yaml." });
  } else {
    return check(key, label, {
      status: "fail",
      sentence: "No image is configured: solo stacks need DASK_IMAGE.",
      fix: `Build the image from docker/ as lab 2 shows (it is tagged ${wanted}) and set DASK_IMAGE to its ECR address.`,
    });
  }

  let tags: string[];
  try {
    tags = await imageTags(ctx, ref);
  } catch (error) {
    const name = errorName(error);
    if (name === "RepositoryNotFoundException" || name === "ImageNotFoundException") {
      return check(key, label, {
        status: "fail",
        sentence: `${what} is not in ECR (${name === "ImageNotFoundException" ? "no such image" : "no such repository"}).`,
        fix: daskImage ? `Push that image, or unset DASK_IMAGE and ${buildHere}.` : `Update the event stack on this page so its repository exists, then ${buildHere}.`,
      });
    }
    if (isAccessDenied(error) && daskImage) {
      return check(key, label, { status: "warn", sentence: `The portal cannot check an image outside this account's ECR (${daskImage}).`, fix: `Make sure it was built from this checkout's docker/ (tag or label ${wanted}).` });
    }
    return check(key, label, { status: "warn", sentence: `${what} could not be read: ${why(error, "reading ECR images")}`, fix: "Re-run these checks; the portal needs ecr:DescribeImages on the repository." });
  }

  const pins = [...new Set(tags.filter((t) => /^pins-[0-9a-f]{12}$/.test(t)))];
  if (pins.includes(wanted)) return check(key, label, { status: "ok", sentence: `${what} has the image tagged ${wanted}, built from this checkout's pins.` });
  if (pins.length > 0) {
    return check(key, label, {
      status: "fail",
      sentence: `${what} holds images built from other pins (${pins.slice(0, 3).join(", ")}), not ${wanted}: the workers would not match the notebook's packages.`,
      fix: daskImage ? `Rebuild and push it from this checkout's docker/, or unset DASK_IMAGE and ${buildHere}.` : `To fix it, ${buildHere}.`,
    });
  }
  if (daskImage && tags.length > 0) {
    return check(key, label, { status: "warn", sentence: `${what} exists but carries no pins-<hash> tag, so its pins cannot be compared with ${wanted}.`, fix: `Tag it ${wanted} if it was built from this checkout's docker/, or ${buildHere}.` });
  }
  return check(key, label, { status: "fail", sentence: `${what} holds no image yet.`, fix: daskImage ? `Push the image, or unset DASK_IMAGE and ${buildHere}.` : `To fix it, ${buildHere}.` });
}

// ---- ERA5 in s3://nsf-ncar-era5

/** "202102" → the 2 m temperature file of that month, as NCAR names it (DD: the month's last day). */
export function era5TemperatureKey(month: string): string {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(4, 6));
  const lastDay = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `e5.oper.an.sfc/${month}/e5.oper.an.sfc.128_167_2t.ll025sc.${month}0100_${month}${String(lastDay).padStart(2, "0")}23.nc`;
}

/** "202102" → "2021-02", the way PORTAL_ERA5_MONTHS writes it. */
export function monthWords(month: string): string {
  return `${month.slice(0, 4)}-${month.slice(4, 6)}`;
}

/** "2021-01..2021-03, 2021-06": consecutive months folded into ranges. */
export function monthList(months: string[]): string {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(4, 6));
  const runs: string[][] = [];
  for (const month of months) {
    const run = runs.at(-1);
    if (run && index(month) === index(run.at(-1)!) + 1) run.push(month);
    else runs.push([month]);
  }
  return runs.map((r) => (r.length === 1 ? monthWords(r[0]) : `${monthWords(r[0])}..${monthWords(r.at(-1)!)}`)).join(", ");
}

export interface Era5Listing {
  /** Months whose 2 m temperature file is there. */
  present: string[];
  missing: string[];
}

/** Summarises what the listing found into the ERA5 line (pure: unit-tested). */
export function era5MonthsLine(months: string[], listing: Era5Listing): PreflightCheckLine {
  const label = "ERA5 months in s3://nsf-ncar-era5";
  const asked = `PORTAL_ERA5_MONTHS (${monthList(months)})`;
  if (listing.missing.length === 0) {
    return check("era5-months", label, { status: "ok", sentence: `Every month of ${asked} has its 2 m temperature file in the bucket.` });
  }
  if (listing.present.length === 0) {
    return check("era5-months", label, {
      status: "fail",
      sentence: `No month of ${asked} has a 2 m temperature file in the bucket (looked for ${era5TemperatureKey(months[0])} and the like).`,
      fix: "Set PORTAL_ERA5_MONTHS, and the notebook's years and months, to months the bucket holds, such as 2021-01..2021-12.",
    });
  }
  return check("era5-months", label, {
    status: "fail",
    sentence: `${listing.missing.length} of ${months.length} months have no 2 m temperature file in the bucket: ${monthList(listing.missing)}.`,
    fix: `Set PORTAL_ERA5_MONTHS, and the notebook's years and months, to months the bucket holds, e.g. ${monthList(listing.present)}.`,
  });
}

export async function checkEra5Months(ctx: AwsContext): Promise<PreflightCheckLine> {
  const months = ctx.config.era5Months;
  const listing: Era5Listing = { present: [], missing: [] };
  try {
    for (const month of months) {
      const key = era5TemperatureKey(month);
      // The file's own name as prefix: one small page says whether it is there.
      const page = await ctx.limiter.run(accountReads, () =>
        ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: era5Bucket, Prefix: key, MaxKeys: 1 })),
      );
      (page.Contents?.some((o) => o.Key === key) ? listing.present : listing.missing).push(month);
    }
  } catch (error) {
    const name = errorName(error);
    const label = "ERA5 months in s3://nsf-ncar-era5";
    if (name === "NoSuchBucket") {
      return check("era5-months", label, { status: "fail", sentence: `The bucket ${era5Bucket} does not exist where the portal looks (${ctx.config.endpoint ?? era5Region}).`, fix: "Unset AWS_ENDPOINT_URL for a real account; ERA5 is NSF NCAR's public bucket in us-west-2." });
    }
    if (isAccessDenied(error)) {
      return check("era5-months", label, {
        status: "fail",
        sentence: `Listing s3://${era5Bucket} was refused (${name}).`,
        fix: `Allow the portal's role s3:ListBucket on arn:aws:s3:::${era5Bucket} (cloudformation/portal-access.yaml) and re-run; the bucket itself is open to every account.`,
      });
    }
    return check("era5-months", label, {
      status: "warn",
      sentence: `s3://${era5Bucket} could not be reached: ${why(error, "listing the ERA5 bucket")}`,
      fix: `Check that the portal's host can reach S3 in ${era5Region}, then re-run these checks.`,
    });
  }
  return era5MonthsLine(months, listing);
}

export function checkEra5Region(region: string): PreflightCheckLine {
  const label = "ERA5's region";
  if (region === era5Region) {
    return check("era5-region", label, { status: "ok", sentence: `The stacks are in ${era5Region} with ERA5: workers read it in-region through the VPC's S3 endpoint.` });
  }
  return check("era5-region", label, {
    status: "warn",
    sentence: `ERA5 is in ${era5Region}; stacks in ${region} read it across regions: slower and charged per GB.`,
    fix: `Deploy in ${era5Region} (AWS_REGION=${era5Region}).`,
  });
}

// ---- the commit the notebooks' kernel is built from

/**
 * The notebooks install notebooks/requirements.txt (which includes docker/requirements.txt)
 * at NotebookRepoCommit; its pins must be the room image's, or the kernel's Dask would not
 * match the cluster's. Git answers from this checkout, without the network.
 */
export async function checkNotebookCommit(ctx: AwsContext): Promise<PreflightCheckLine> {
  const label = "The notebooks' repository commit";
  const key = "notebook-commit";
  const { notebookRepoCommit: commit, notebookRepoUrl: url, daskImage } = ctx.config;
  if (!commit) {
    return check(key, label, {
      status: "fail",
      sentence: "No commit is set, and the portal does not run from a git checkout, so notebooks cannot be deployed.",
      fix: "Set PORTAL_NOTEBOOK_REPO_COMMIT to the commit the room's image was built from (git rev-parse HEAD in that checkout).",
    });
  }
  const short = commit.slice(0, 12);
  let imagePins: string | undefined;
  try {
    imagePins = (daskImage && pinsOfImage(daskImage)) || (await pinsHash());
  } catch {
    imagePins = undefined;
  }
  const atCommit = pinsAtCommit(commit);
  if (!atCommit || !imagePins) {
    return check(key, label, {
      status: "warn",
      sentence: `Commit ${short} is not in the portal's checkout, so its pins cannot be compared with the room image's.`,
      fix: "Run git fetch in the portal's folder (or set PORTAL_NOTEBOOK_REPO_COMMIT to a commit it holds), then re-run these checks.",
    });
  }
  if (atCommit !== imagePins) {
    return check(key, label, {
      status: "fail",
      sentence: `At commit ${short} docker/requirements.txt hashes to ${atCommit}, but the room's image carries pins ${imagePins}: every notebook kernel would disagree with its cluster.`,
      fix: "Set PORTAL_NOTEBOOK_REPO_COMMIT to the commit the image was built from, or build the room's image from that commit.",
    });
  }
  return check(key, label, {
    status: "ok",
    sentence: `Notebooks build their kernel from commit ${short}${url ? ` of ${url}` : ""}, whose pins ${atCommit} are the room image's. Make sure that commit is pushed there.`,
  });
}
