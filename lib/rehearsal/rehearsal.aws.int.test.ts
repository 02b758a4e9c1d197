// The dress rehearsal against moto, in event mode. Moto is a control plane: it creates the
// stacks at once but runs no task, so the harness plays Fargate (test/moto/fargate.mjs):
// the services' tasks start when the rehearsal waits for them; the one-off notebook task
// the portal starts with RunTask writes its log lines and stops; before the stack is
// deleted its tasks are drained, as ECS does. Moto keeps every container's exitCode at 0
// and has no call to change it, so the harness also plays the container's exit: a
// middleware on the test's ECS client sets the exit code the played task ended with on
// DescribeTasks answers. Everything else is the portal's own code against moto.
import fs from "node:fs";
import { eagerCadence } from "@/test/support/moto";
import os from "node:os";
import path from "node:path";
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployEventStack, motoClients, playFargate, prepareStackDeletion, putLogLines, stackOutputs, stopTask } from "../../test/moto/index.mjs";
import { ownMoto } from "../../test/support/moto";
import { openDb, useStore } from "@/lib/db";
import { createAwsClients } from "@/lib/providers/aws/clients";
import { loadAwsConfig } from "@/lib/providers/aws/config";
import { createAwsProvider } from "@/lib/providers/aws/provider";
import type { Provider } from "@/lib/providers/contract";
import type { RehearsalView } from "./phases";
import { defaultLimits, startRehearsal } from "./run";
import { SUMMARY_MARKER } from "./summary";

process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

const endpoint = await ownMoto();
const EVENT = "reh-event";
let outputs: Record<string, string>;
let restoreStore = () => {};
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-rehearsal-aws-"));

/** How the played notebook task ends. */
interface NotebookPlay {
  lines: string[];
  exitCode: number;
  reason: string;
  /** The task keeps running (the harness never stops it). */
  stays?: boolean;
  /** CloudWatch refuses the portal's GetLogEvents (an IAM refusal, as AWS words it). */
  logsRefused?: boolean;
}

function rehearse(play: NotebookPlay) {
  const config = loadAwsConfig(
    {
      AWS_REGION: "us-west-2",
      AWS_ENDPOINT_URL: endpoint,
      PORTAL_AWS_MODE: "event",
      PORTAL_EVENT_STACK: EVENT,
      PORTAL_EVENT_ID: "reh-it",
      PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
      PORTAL_AWS_TEMPLATE_TRANSFORM: "moto",
      DASK_IMAGE: `${outputs.ImageRepositoryUri}:pins-aaaaaaaaaaaa`,
      PORTAL_DEFAULT_WORKERS: "1",
    },
    { cadence: eagerCadence },
  );
  const clients = createAwsClients(config);
  // The played container's exit code, by task ARN (see the top of this file).
  const exitCodes = new Map<string, number>();
  clients.ecs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const out = result.output as { tasks?: { taskArn?: string; lastStatus?: string; containers?: { exitCode?: number }[] }[] };
      if (context.commandName === "DescribeTasksCommand") {
        for (const task of out.tasks ?? []) {
          const code = exitCodes.get(task.taskArn ?? "");
          if (code !== undefined && task.lastStatus === "STOPPED") for (const c of task.containers ?? []) c.exitCode = code;
        }
      }
      return result;
    },
    { step: "initialize", name: "playContainerExit" },
  );
  if (play.logsRefused) {
    clients.logs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetLogEventsCommand") {
          throw Object.assign(new Error("User: arn:aws:sts::123456789012:assumed-role/portal/i-0 is not authorized to perform: logs:GetLogEvents"), {
            name: "AccessDeniedException",
            $fault: "client",
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: "initialize", name: "refuseLogReads" },
    );
  }
  const aws = createAwsProvider(config, { clients });
  // ECS stops a stack's tasks while CloudFormation deletes its services; moto does not.
  const provider: Provider = { ...aws, destroy: async (env, by) => (await prepareStackDeletion(endpoint, env.stackName), aws.destroy(env, by)) };

  let stackName = "";
  let phase = "stack";
  let played = false;
  const views: RehearsalView[] = [];
  const lines: string[] = [];
  /** Fargate's part: the services' tasks, then the one-off notebook task once the portal has started it. */
  async function playPlatform() {
    if (phase === "stack" || phase === "tasks") await playFargate(endpoint, stackName);
    if (phase !== "notebook" || played) return;
    const moto = motoClients(endpoint);
    const { ClusterName } = await stackOutputs(moto, stackName);
    const { taskArns } = await moto.ecs.send(new ListTasksCommand({ cluster: ClusterName, startedBy: "workshop-rehearsal" }));
    if (!taskArns?.length) return;
    // This rehearsal's task: of its stack's definition, not stopped yet (an earlier rehearsal's stays listed).
    const { tasks } = await moto.ecs.send(new DescribeTasksCommand({ cluster: ClusterName, tasks: taskArns }));
    const arn = tasks?.find((t) => t.lastStatus !== "STOPPED" && t.taskDefinitionArn?.includes(`/${stackName}-rehearsal:`))?.taskArn;
    if (!arn) return;
    played = true;
    if (play.stays) return;
    const taskId = arn.split("/").pop()!;
    await putLogLines(endpoint, { stackName, role: "notebook" as "worker", taskId, lines: play.lines.map((text) => ({ text })) });
    exitCodes.set(arn, play.exitCode);
    await stopTask(endpoint, { stackName, taskId, reason: play.reason });
  }
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = setTimeout(() => void playPlatform().catch(() => undefined).finally(() => phase !== "done" && loop()), 200);
  };
  const start = startRehearsal(
    { provider, settings: { dataDir, era5Months: ["202103"], limits: { ...defaultLimits, notebook: 30_000 }, pollMs: 200 } },
    "facilitator",
    {
      onView: (v) => {
        views.push(v);
        phase = v.status !== "running" ? "done" : (v.phases.find((p) => p.status === "running")?.name ?? phase);
      },
      onLog: (l) => lines.push(l.text),
    },
  );
  stackName = start.view.stackName;
  loop();
  const done = start.done!.finally(() => {
    phase = "done";
    clearTimeout(timer);
  });
  return { start, done, provider, lines, views };
}

beforeAll(async () => {
  restoreStore = useStore(openDb(":memory:"));
  outputs = await deployEventStack(endpoint, { stackName: EVENT, eventId: "reh-it" });
});

afterAll(() => {
  restoreStore();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const summary = `${SUMMARY_MARKER}{"months": 1, "timeSteps": 744, "gridPoints": 1038240, "globalMeanC": 4.91, "minC": -61.2, "maxC": 44.7, "cities": 5}`;

describe("the dress rehearsal on moto", () => {
  it("deploys, waits for the tasks, runs the notebook task inside the VPC, tears down and reports every phase, the results and the cost", async () => {
    const { start, done, provider, lines } = rehearse({ lines: ["installing the notebook's packages", "Executing notebook with kernel: python3", summary], exitCode: 0, reason: "Essential container in task exited" });
    expect(start.started).toBe(true);
    const view = await done;
    expect(view.failure).toBeUndefined();
    expect(view.phases.map((p) => [p.name, p.status])).toEqual([
      ["stack", "done"],
      ["tasks", "done"],
      ["notebook", "done"],
      ["teardown", "done"],
    ]);
    expect(view.months).toEqual(["202101"]);
    expect(lines).toContain("Executing notebook with kernel: python3");
    expect(lines.some((l) => l.startsWith("one-off task "))).toBe(true);
    expect((await provider.describe({ id: view.id, stackName: view.stackName, attendeeId: "rehearsal", attendeeEmail: "" })).status).toBe("DELETE_COMPLETE");
    const report = fs.readFileSync(view.reportPath!, "utf8");
    expect(report).toContain("PASSED");
    for (const label of ["Stack create", "Tasks running", "Notebook", "Teardown"]) expect(report).toMatch(new RegExp(`\\| ${label} \\| done \\| [0-9.]+ s`));
    expect(report).toContain("Global mean 2 m temperature: 4.91 °C");
    expect(report).toMatch(/\| \*\*Total\*\* \| \*\*[0-9.]+\*\* \|/);
    expect(view.cost?.unit).toBe("usd");
  });

  it("reports a notebook task that stopped with exit code 1: the phase, the reason, and the stack deleted", async () => {
    const { done, provider } = rehearse({
      lines: ["Executing notebook with kernel: python3", "papermill.exceptions.PapermillExecutionError: SetupError: no month files"],
      exitCode: 1,
      reason: "Essential container in task exited",
    });
    const view = await done;
    expect(view.status).toBe("failed");
    expect(view.failure).toMatchObject({ phase: "notebook", exitCode: 1, stoppedReason: expect.stringContaining("Essential container in task exited") });
    expect(view.phases.find((p) => p.name === "teardown")?.status).toBe("done");
    expect((await provider.describe({ id: view.id, stackName: view.stackName, attendeeId: "rehearsal", attendeeEmail: "" })).status).toBe("DELETE_COMPLETE");
    const report = fs.readFileSync(view.reportPath!, "utf8");
    expect(report).toContain("Phase: Notebook (notebook)");
    expect(report).toContain("Exit code: 1");
    expect(report).toContain("Essential container in task exited");
  });

  it("stops its notebook task when following it fails, so nothing of the rehearsal is left running", async () => {
    const { done, provider } = rehearse({ lines: [], exitCode: 0, reason: "", stays: true, logsRefused: true });
    const view = await done;
    expect(view.status).toBe("failed");
    expect(view.failure).toMatchObject({ phase: "notebook", reason: expect.stringMatching(/logs:GetLogEvents/) });
    const moto = motoClients(endpoint);
    const { ClusterName } = outputs;
    const { taskArns } = await moto.ecs.send(new ListTasksCommand({ cluster: ClusterName, startedBy: "workshop-rehearsal", desiredStatus: "STOPPED" }));
    const { tasks } = await moto.ecs.send(new DescribeTasksCommand({ cluster: ClusterName, tasks: taskArns ?? [] }));
    const mine = tasks?.find((t) => t.taskDefinitionArn?.includes(`/${view.stackName}-rehearsal:`));
    expect(mine?.stoppedReason).toMatch(/^The dress rehearsal stopped following its notebook task: .*logs:GetLogEvents/);
    expect(view.phases.find((p) => p.name === "teardown")?.status).toBe("done");
    expect((await provider.describe({ id: view.id, stackName: view.stackName, attendeeId: "rehearsal", attendeeEmail: "" })).status).toBe("DELETE_COMPLETE");
  });
});
