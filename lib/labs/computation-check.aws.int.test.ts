// The lab 4 check against the AWS provider on moto, in event mode. Moto is not Fargate:
// the harness plays it (test/moto/fargate.mjs), and here it also plays the scheduler's
// progress plugin by writing its lines into the scheduler's log stream (PutLogEvents), as
// the awslogs driver would. The check reads only those lines: no address of the scheduler
// is reachable from here, as none is from a portal outside the VPC.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eagerCadence } from "@/test/support/moto";
import { deployEventStack, motoTemplateTransform, playFargate, prepareStackDeletion, putLogLines } from "../../test/moto/index.mjs";
import { ownMoto } from "../../test/support/moto";
import { portalConfig } from "@/lib/config";
import { openDb, useStore } from "@/lib/db";
import { createEnvironmentOnce, providerRef } from "@/lib/db/environment-queries";
import { upsertAttendee } from "@/test/support/seed";
import type { EnvironmentRow } from "@/lib/db/schema";
import { loadAwsConfig } from "@/lib/providers/aws/config";
import { createAwsProvider } from "@/lib/providers/aws/provider";
import { Runtime } from "@/lib/runtime";
import { runCheck } from "./checks";

const endpoint = await ownMoto();
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";

const progressLine = (tasks: number, bytes: number, pins: string) =>
  `2026-12-01 09:14:03,512 - distributed.workshop_progress - INFO - dask-workshop-progress {"v":1,"tasks":${tasks},"bytes":${bytes},"workers":2,"pins":"${pins}"}`;

describe("the lab 4 check on an AWS environment (moto, event mode)", () => {
  const provider = createAwsProvider(
    loadAwsConfig(
      {
        AWS_REGION: "us-west-2",
        AWS_ENDPOINT_URL: endpoint,
        PORTAL_AWS_MODE: "event",
        PORTAL_EVENT_ID: "it-lab4",
        PORTAL_EVENT_STACK: "it-lab4-event",
        PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
        DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop/it-lab4:pins-0123456789ab",
      },
      { templateTransform: motoTemplateTransform, cadence: eagerCadence },
    ),
  );
  let restoreStore = () => {};
  let rt: Runtime;
  let row: EnvironmentRow;
  let actor: { id: string; role: "attendee" };
  let scheduler: string;
  const check = () => runCheck(rt, actor, "04-analyse-era5-in-the-notebook", "computation-ran");

  beforeAll(async () => {
    restoreStore = useStore(openDb(":memory:"));
    rt = new Runtime(portalConfig({ PORTAL_DATA_DIR: "/nonexistent" }), provider);
    await deployEventStack(endpoint, { stackName: "it-lab4-event", eventId: "it-lab4" });
    const ada = upsertAttendee({ name: "Ada", email: "ada@example.org" });
    actor = { id: ada.id, role: "attendee" };
    row = createEnvironmentOnce({ attendeeId: ada.id, provider: "aws", stackName: "dask-lab4-ada", desiredWorkers: 2 }).row;
    await provider.deploy(providerRef(row), { workers: 2 });
    scheduler = (await playFargate(endpoint, row.stackName)).scheduler[0];
  });

  afterAll(async () => {
    rt?.stop();
    await prepareStackDeletion(endpoint, row.stackName);
    await provider.destroy(providerRef(row), "the test");
    restoreStore();
  });

  it("fails while the scheduler's log has no progress line, or one without data in memory", async () => {
    expect(await check()).toMatchObject({ passed: false, message: "Your scheduler has not reported any progress yet." });
    await putLogLines(endpoint, { stackName: row.stackName, role: "scheduler", taskId: scheduler, lines: [{ text: progressLine(420, 0, "0123456789ab") }] });
    const result = await check();
    expect(result.passed).toBe(false);
    expect(!result.passed && result.message).toContain("computed 420 task(s) but holds no data");
  });

  it("passes once the newest line shows tasks computed and data held, and reports the image's pins", async () => {
    await putLogLines(endpoint, {
      stackName: row.stackName,
      role: "scheduler",
      taskId: scheduler,
      lines: [{ text: progressLine(1520, 3 * 1024 ** 3, "0123456789ab") }],
    });
    expect(await check()).toMatchObject({ passed: true, detail: "your scheduler reports 1520 tasks done · 3.00 GiB held · 2 workers" });
    expect(rt.watchers.progressOf(row.id)?.pins).toBe("0123456789ab");
  });
});
