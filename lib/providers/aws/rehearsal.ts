import "server-only";
import fs from "node:fs/promises";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { repoPath } from "@/lib/config";
import { zip } from "./zip";
import { ProviderError, type EnvironmentRef, type NotebookRun, type NotebookRunOptions, type RehearsalTools, type TaskState } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { eventStackStatus } from "./event-stack";
import { outputsOf, validateStackName } from "./stack";

// The dress rehearsal on AWS (docs/aws.md, "The dress rehearsal"): the portal uploads a
// small bundle (the workshop notebook, its requirements and a run script) to the event
// stack's source bucket under rehearsal/<stack>/, then starts the attendee stack's
// RehearsalTaskDefinition once with RunTask, inside the VPC (private subnets, the
// workers' security group). The task fetches the bundle, pip-installs the notebook-only
// packages through the NAT and runs papermill against the stack's scheduler. The portal
// follows it with DescribeTasks and its log stream, and reports its exit code and
// stoppedReason. Nothing in the run's overrides is secret.

/** The container's name in RehearsalTaskDefinition (its log streams are <prefix>/notebook/<task id>). */
export const REHEARSAL_CONTAINER = "notebook";
/** How often the task and its log are read while it runs. */
const pollMs = 5_000;

/** The script the task runs from the unpacked bundle; the parameters come from REHEARSAL_PARAMETERS. */
const runScript = `set -eu
export PYTHONUSERBASE=/tmp/rehearsal/user
export PATH="$PYTHONUSERBASE/bin:$PATH"
echo "installing the notebook's packages (notebooks/requirements.txt)"
python -m pip install --user --quiet --disable-pip-version-check --no-warn-script-location -r notebooks/requirements.txt
echo "running the notebook against $DASK_SCHEDULER_ADDRESS"
exec python -m papermill notebooks/era5-analysis.ipynb /tmp/rehearsal/out.ipynb -k python3 \\
  -p scheduler_address "$DASK_SCHEDULER_ADDRESS" -y "$REHEARSAL_PARAMETERS" --log-output --no-progress-bar
`;

/** The bundle: what the room's image lacks to run the notebook headless. */
export async function rehearsalBundle(): Promise<Buffer> {
  const files = ["notebooks/era5-analysis.ipynb", "notebooks/requirements.txt", "docker/requirements.txt"];
  const entries = await Promise.all(files.map(async (name) => ({ name, bytes: await fs.readFile(repoPath(name)) })));
  return zip([...entries, { name: "run.sh", bytes: Buffer.from(runScript) }]);
}

export const bundleKey = (stackName: string) => `rehearsal/${stackName}/bundle.zip`;

const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : undefined);

/** Why the task stopped, in ECS's words: the task's stoppedReason and the container's own reason. */
function stoppedReasonOf(task: Task): string | undefined {
  const container = task.containers?.find((c) => c.name === REHEARSAL_CONTAINER) ?? task.containers?.[0];
  const parts = [task.stoppedReason, container?.reason].filter((p): p is string => Boolean(p));
  return parts.length ? parts.join("; ") : undefined;
}

function exitCodeOf(task: Task): number | null {
  const container = task.containers?.find((c) => c.name === REHEARSAL_CONTAINER) ?? task.containers?.[0];
  return container?.exitCode ?? null;
}

function taskState(task: Task): TaskState {
  return {
    id: task.taskArn?.split("/").pop() ?? "",
    role: "worker",
    lastStatus: (task.lastStatus ?? "PROVISIONING") as TaskState["lastStatus"],
    desiredStatus: task.desiredStatus === "STOPPED" ? "STOPPED" : "RUNNING",
    ...(iso(task.startedAt ?? task.createdAt) ? { startedAt: iso(task.startedAt ?? task.createdAt) } : {}),
    ...(iso(task.stoppedAt) ? { stoppedAt: iso(task.stoppedAt) } : {}),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    cpu: Number(task.cpu ?? 0),
    memory: Number(task.memory ?? 0),
  };
}

export function awsRehearsal(ctx: AwsContext): RehearsalTools {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function where(env: EnvironmentRef) {
    const [stack, event] = await Promise.all([ctx.findStack(env), eventStackStatus(ctx)]);
    const o = stack ? outputsOf(stack) : {};
    const e = event.outputs;
    const missing = [
      ...["ClusterName", "RehearsalTaskDefinition", "WorkerSecurityGroupId", "LogGroup", "LogStreamPrefix"].filter((k) => !o[k]),
      ...["ImageSourceBucket", "PrivateSubnetA", "PrivateSubnetB"].filter((k) => !e[k]),
    ];
    if (missing.length) {
      throw new ProviderError("bad_request", `The stacks lack what the rehearsal needs (${missing.join(", ")}): update the event stack and redeploy with the current templates.`);
    }
    return { o, bucket: e.ImageSourceBucket, subnets: [e.PrivateSubnetA, e.PrivateSubnetB] };
  }

  async function readLog(group: string, stream: string, cursor: string | undefined, options: NotebookRunOptions): Promise<string | undefined> {
    for (;;) {
      const page = await ctx.limiter
        .run("logs-read", () => ctx.clients.logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(cursor ? { nextToken: cursor } : {}) })))
        .catch((error: unknown) => {
          // The stream appears when the container first writes.
          if (errorName(error) === "ResourceNotFoundException") return { events: [], nextForwardToken: cursor };
          throw error;
        });
      (page.events ?? []).forEach((e, i) =>
        options.onLog({ at: new Date(e.timestamp ?? 0).toISOString(), text: (e.message ?? "").replace(/\n$/, ""), key: `${cursor ?? "head"}#${i}` }),
      );
      // GetLogEvents hands back the same token once the stream has nothing newer.
      if (!page.nextForwardToken || page.nextForwardToken === cursor || !page.events?.length) return page.nextForwardToken ?? cursor;
      cursor = page.nextForwardToken;
    }
  }

  return {
    async runNotebook(env, options): Promise<NotebookRun> {
      validateStackName(env.stackName);
      const { o, bucket, subnets } = await where(env);
      const key = bundleKey(env.stackName);
      /** The one-off task while it may still run: stopped on the way out if anything fails. */
      let running: string | undefined;
      try {
        await ctx.limiter.run("image", async () => ctx.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await rehearsalBundle(), ContentType: "application/zip" })));
        const parameters = JSON.stringify({ years: options.years, months: options.months });
        const { tasks, failures } = await ctx.limiter.run("ecs-write", () =>
          ctx.clients.ecs.send(
            new RunTaskCommand({
              cluster: o.ClusterName,
              taskDefinition: o.RehearsalTaskDefinition,
              launchType: "FARGATE",
              count: 1,
              startedBy: "workshop-rehearsal",
              networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [o.WorkerSecurityGroupId], assignPublicIp: "DISABLED" } },
              overrides: { containerOverrides: [{ name: REHEARSAL_CONTAINER, environment: [{ name: "REHEARSAL_PARAMETERS", value: parameters }] }] },
            }),
          ),
        );
        const started = tasks?.[0];
        if (!started?.taskArn) {
          const reason = failures?.map((f) => [f.reason, f.detail].filter(Boolean).join(": ")).join("; ") || "ECS started no task";
          return { ok: false, exitCode: null, stoppedReason: `RunTask: ${reason}` };
        }
        running = started.taskArn;
        const taskId = started.taskArn.split("/").pop()!;
        const stream = `${o.LogStreamPrefix}/${REHEARSAL_CONTAINER}/${taskId}`;
        options.onLog({ at: new Date().toISOString(), text: `one-off task ${taskId} started; its log is ${o.LogGroup} ${stream}`, key: "runner:start" });
        const deadline = Date.now() + options.timeoutMs;
        let cursor: string | undefined;
        let task: Task = started;
        let stopAsked = false;
        for (;;) {
          cursor = await readLog(o.LogGroup, stream, cursor, options);
          const { tasks: described, failures } = await ctx.limiter.run("ecs-read", () => ctx.clients.ecs.send(new DescribeTasksCommand({ cluster: o.ClusterName, tasks: [started.taskArn!] })));
          if (!described?.length && failures?.length) {
            // ECS no longer knows the task (stopped long enough ago): it is not running.
            running = undefined;
            return { ok: false, exitCode: null, stoppedReason: `ECS no longer describes task ${taskId} (${failures.map((f) => f.reason).join(", ")})` };
          }
          task = described?.[0] ?? task;
          if (task.lastStatus === "STOPPED") {
            running = undefined;
            break;
          }
          if (Date.now() > deadline && !stopAsked) {
            stopAsked = true;
            const reason = `The dress rehearsal's notebook ran longer than ${Math.round(options.timeoutMs / 60_000)} min`;
            await ctx.limiter.run("ecs-write", () => ctx.clients.ecs.send(new StopTaskCommand({ cluster: o.ClusterName, task: started.taskArn, reason })));
          }
          await sleep(pollMs);
        }
        // The container's last lines may land after it stopped.
        await readLog(o.LogGroup, stream, cursor, options);
        const exitCode = exitCodeOf(task);
        const stoppedReason = stoppedReasonOf(task);
        const ok = exitCode === 0 && !stopAsked;
        return { ok, exitCode, ...(!ok && stoppedReason ? { stoppedReason } : {}), task: taskState(task) };
      } catch (error) {
        const problem = toProviderError(error, "running the rehearsal's notebook task", env.stackName);
        if (running) {
          // Left running, it would hold its network interface in the worker security group and
          // fail the teardown that follows; best effort, the teardown reports what is left.
          const task = running;
          await ctx.limiter
            .run("ecs-write", () => ctx.clients.ecs.send(new StopTaskCommand({ cluster: o.ClusterName, task, reason: `The dress rehearsal stopped following its notebook task: ${problem.message}`.slice(0, 255) })))
            .catch(() => undefined);
        }
        throw problem;
      } finally {
        await ctx.limiter.run("image", () => ctx.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))).catch(() => undefined);
      }
    },
  };
}
