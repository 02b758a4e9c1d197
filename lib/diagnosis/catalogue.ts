import type { Diagnosis, DiagnosisAction, DiagnosisCode } from "./codes";

// The diagnosis catalogue (docs/diagnosis.md): for each cause, the sentence an attendee
// reads, the fix, and the facilitator's action; and the ordered rules that recognise a
// failure signal. Every rule is backed by real messages in corpus.json, with where they
// were seen.
//
// A rule is a set of phrases that must all be in the line (case does not matter). Each
// phrase holds at least two words in the order the platform writes them, so a line of the
// same words shuffled never matches, and the parts that vary (ids, addresses, regions,
// versions, counts) are left out. Rules are tried in order; the first that matches names
// the cause, so the specific ones (an image pull that timed out is a network problem) come
// before the general ones (any failed pull).

export interface CatalogueEntry {
  /** A few words for a card's heading. */
  title: string;
  cause: string;
  fix: string;
  action?: DiagnosisAction;
  /**
   * A consequence of some other cause (a task that exited, a worker lost, a rollback, a wait
   * that ran out): an environment shows the cause behind it when one was seen shortly before.
   */
  consequence?: boolean;
}

export const catalogue: Record<DiagnosisCode, CatalogueEntry> = {
  permissions: {
    title: "Missing permissions",
    cause: "AWS refused an action because the role doing it is not allowed to (an IAM policy does not grant it).",
    fix: "The account's administrator updates the access stack (cloudformation/portal-access.yaml, docs/aws-permissions.md) so the named role may do the named action, then the environment is deployed again.",
  },
  capabilities: {
    title: "Stack needs IAM capabilities",
    cause: "CloudFormation refused the stack because it creates IAM roles and the request did not acknowledge that (CAPABILITY_IAM).",
    fix: "This is the portal's request, not the attendee's: update the portal to a version that passes the capability, then deploy again.",
  },
  "service-linked-role": {
    title: "ECS service-linked role missing",
    cause: "ECS could not act because the account has no ECS service-linked role yet (AWSServiceRoleForECS), which a new account lacks.",
    fix: "Create the role once for the account (the preflight card's button, or `aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`), then tear down and deploy again.",
    action: "create-service-linked-role",
  },
  quota: {
    title: "Account quota reached",
    cause: "The account (or, locally, this machine) has no room left for what the environment needs: a quota such as VPCs, Elastic IPs, Fargate vCPU or notebook instances is used up.",
    fix: "The facilitator requests a quota increase (days before the room: preflight's “before the event” section) or frees what is in use, then the environment is deployed again.",
    action: "request-quota",
  },
  "spot-capacity": {
    title: "No Fargate Spot capacity",
    cause: "AWS had no Fargate Spot capacity for the workers at that moment, or took it back (a Spot interruption).",
    fix: "Deploy again in a few minutes; if it keeps happening, the facilitator runs the workers On-Demand (PORTAL_WORKER_CAPACITY=FARGATE).",
    action: "redeploy",
  },
  "image-missing": {
    title: "Dask image not found",
    cause: "The Dask image the tasks run does not exist where the environment looks for it (a tag never pushed or mistyped; locally, the Python env is missing), so no task can start.",
    fix: "Build the room's image (facilitator page, Room image card) or push the image and deploy with its exact name (DASK_IMAGE); locally run `make pyenv`. Then tear down and deploy again.",
    action: "build-image",
  },
  "image-pull": {
    title: "Image pull refused",
    cause: "The registry refused or rate-limited the image pull (Docker Hub's pull limit, a 403, no pull access).",
    fix: "Run the room from its own image in ECR (Build the room's image) instead of a public registry, or give the task execution role pull rights; then deploy again.",
    action: "build-image",
  },
  network: {
    title: "Network: no route",
    cause: "A connection timed out or had no route: to the image registry, between the notebook and its scheduler, or to the data bucket.",
    fix: "Check the path the message names: the tasks' subnets need a NAT gateway or VPC endpoints for ECR and S3; a notebook needs the scheduler's current address (re-run the connect cell after a redeploy).",
  },
  "out-of-memory": {
    title: "Worker out of memory",
    cause: "A worker was killed because it used more memory than it has: something asked it to hold more at once than fits.",
    fix: "Ask for less at once: load fewer months or smaller chunks, or persist less; if the data really must fit, the facilitator raises worker memory and the environment is deployed again.",
    action: "raise-memory",
  },
  "worker-lost": {
    title: "Workers lost",
    cause: "Workers died while running tasks, for a reason their own logs give (or none), and the scheduler gave up on the task.",
    fix: "Look at the workers' last log lines for why they stopped; run the cell again once the environment shows its workers running, or tear down and deploy again.",
    action: "redeploy",
    consequence: true,
  },
  "task-exit": {
    title: "Task exited",
    cause: "A scheduler or worker container exited with an error instead of running.",
    fix: "Its last log lines say why; if nothing there can be fixed, tear down and deploy again.",
    action: "redeploy",
    consequence: true,
  },
  "data-region": {
    title: "Data bucket in another region",
    cause: "The data bucket was asked for in the wrong region: ERA5 lives in us-west-2.",
    fix: "Set region = \"us-west-2\" in the notebook (and unset AWS_ENDPOINT_URL if it names another region), then run the cell again.",
  },
  "data-missing": {
    title: "Data not found",
    cause: "The data the notebook asked for is not there: a month, a year or a file that the data location does not hold.",
    fix: "Pick months and years the data holds (the notebook's message names its range), or point data_url at a complete copy.",
  },
  "data-access": {
    title: "No read access to data",
    cause: "The data location refused the read: it is private, or retired (the old s3://era5-pds answers 403).",
    fix: "Set data_url to s3://nsf-ncar-era5 (read anonymously) or to a folder you can read, then run the cell again.",
  },
  "version-mismatch": {
    title: "Package versions differ",
    cause: "The notebook, the scheduler and the workers run different package versions, which breaks or silently changes computations.",
    fix: "Run every part from the same pins: build the room's image from docker/requirements.txt, install notebooks/requirements.txt in the kernel, then deploy again.",
    action: "build-image",
  },
  throttled: {
    title: "AWS throttling",
    cause: "AWS slowed the portal's calls down (rate exceeded), so some reads or actions were refused for a moment.",
    fix: "Nothing to do for the attendee: the portal backs off and retries. If it lasts, the facilitator lowers PORTAL_AWS_CALL_BUDGET or spreads the room's deploys.",
  },
  "stack-rollback": {
    title: "Stack rolled back",
    cause: "The stack rolled back: one of its resources failed, and CloudFormation undid the rest. The first failed resource's own event says why.",
    fix: "Read the failed resource's event (linked here), fix what it names, then tear down and deploy again.",
    action: "redeploy",
    consequence: true,
  },
  timeout: {
    title: "Timed out",
    cause: "Something took longer than it was allowed to (a resource or task that never became ready).",
    fix: "Tear down and deploy again; if it times out again, its tasks' stop reasons and logs show what kept it from starting.",
    action: "redeploy",
    consequence: true,
  },
  sandbox: {
    title: "Local sandbox refused",
    cause: "This machine refused to isolate the environment: bubblewrap is missing or the kernel does not allow unprivileged user namespaces.",
    fix: "The facilitator installs bubblewrap (`apt-get install bubblewrap`) or allows user namespaces (sysctl kernel.unprivileged_userns_clone=1), then the environment is deployed again.",
  },
  unknown: {
    title: "Not recognised",
    cause: "The portal does not recognise this message.",
    fix: "Ask a facilitator, and show them the raw message.",
  },
};

/** The help request an attendee sends about a diagnosis: the facilitator's queue shows the cause. */
export function helpMessageFor(d: Pick<Diagnosis, "code" | "cause">): string {
  return `My environment shows “${catalogue[d.code].title}” (${d.code}): ${d.cause}`;
}

export interface Rule {
  code: Exclude<DiagnosisCode, "unknown">;
  /** Lower-case phrases that must all be in the line. */
  all: string[];
}

const rule = (code: Rule["code"], ...all: string[]): Rule => ({ code, all });

/** Tried in order: the first rule whose phrases are all in the line names the cause. */
export const rules: Rule[] = [
  rule("sandbox", "new namespace, likely because"),
  rule("sandbox", "creating new namespace failed"),
  rule("sandbox", "cannot make a sandbox"),
  rule("sandbox", "bubblewrap (bwrap) is not installed"),

  rule("capabilities", "requires capabilities :"),
  rule("capabilities", "the portal did not acknowledge capability_"),
  rule("service-linked-role", "unable to assume the service linked role"),

  rule("image-pull", "reached your pull rate limit"),
  rule("image-pull", "toomanyrequests: too many requests"),
  rule("throttled", "throttling: rate exceeded"),
  rule("throttled", "throttlingexception: rate exceeded"),
  rule("throttled", "(throttling) when calling"),
  rule("throttled", "aws is throttling the portal"),

  rule("quota", "the maximum number of", "has been reached"),
  rule("quota", "request an increase for this limit"),
  rule("quota", "this machine is full"),

  rule("spot-capacity", "capacity is unavailable at this time"),
  rule("spot-capacity", "spot task was interrupted"),

  rule("network", "i/o timeout"),
  rule("network", "check your task network configuration"),
  rule("network", "while waiting for connection"),
  rule("network", "timed out trying to connect"),
  rule("network", "connectionrefusederror: [errno"),
  rule("network", "no dask scheduler answers"),
  rule("network", "scheduler_address is empty"),
  rule("network", "setuperror: cannot reach"),
  rule("network", "cannot reach aws while"),

  rule("image-missing", "error: image", "not found"),
  rule("image-missing", "not found: does not exist"),
  rule("image-missing", "not found in repository"),
  rule("image-missing", "error response from daemon: manifest for", "not found"),
  rule("image-missing", "manifest unknown: manifest unknown"),
  rule("image-missing", "python environment not found at"),

  rule("image-pull", "pull access denied"),
  rule("image-pull", "image manifest has been retried"),
  rule("image-pull", "inspect image has been retried"),
  rule("image-pull", "cannotpullcontainererror: api error"),

  rule("out-of-memory", "container killed due to memory usage"),
  rule("out-of-memory", "memory budget. restarting"),

  rule("version-mismatch", "mismatched versions found"),

  rule("data-region", "must be addressed using the specified endpoint"),
  rule("data-region", "setuperror: the bucket of"),

  rule("data-access", "all access to this object has been disabled"),
  rule("data-access", "(accessdenied) when calling the listobjects"),
  rule("data-access", "headobject operation: forbidden"),
  rule("data-access", "setuperror: no read access to"),

  rule("data-missing", "the specified key does not exist"),
  rule("data-missing", "setuperror: years is empty"),
  rule("data-missing", "month folders under data_url"),
  rule("data-missing", "setuperror: no months of"),
  rule("data-missing", "setuperror: month", "(it holds"),
  rule("data-missing", "is missing from its month folder"),

  rule("permissions", "is not authorized to perform"),
  rule("permissions", "accessdenied: access denied"),
  rule("permissions", "did not accept the portal's credentials"),
  rule("permissions", "the portal's role", "update portal-access"),
  rule("permissions", "cloudformation's deploy role", "update the access stack"),

  rule("worker-lost", "all those workers died while running it"),
  rule("worker-lost", "workers died while trying to run it"),
  rule("worker-lost", "killedworker: ("),

  rule("timeout", "timed out waiting for"),
  rule("timeout", "exceeded the specified timeout"),
  rule("timeout", "waitcondition timed out"),

  rule("stack-rollback", "rollback requested by"),
  rule("stack-rollback", "following resource(s) failed to"),
  rule("stack-rollback", "resource creation cancelled"),

  rule("task-exit", "essential container in task exited"),
];
