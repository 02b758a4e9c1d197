// Reconciliation of the store with the AWS provider, against a moto server of its own
// (`make test-aws`): a moto that another suite left holding a refused stack answers 500
// to every DescribeStacks listing, which is what reconciliation reads. Each "store" is a
// fresh SQLite file in its own temporary PORTAL_DATA_DIR, so wiping it is closing the file
// and pointing the portal at an empty folder.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployEventStack, holdTaskStates, motoClients, motoTemplateTransform, prepareStackDeletion, startMoto } from "../../test/moto/index.mjs";
import { createEnvironmentOnce, getEnvironment, liveEnvironmentOf, environmentByStackName } from "@/lib/db/environment-queries";
import { getAttendee } from "@/lib/db/attendee-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { upsertAttendee } from "@/test/support/seed";
import { getDb } from "../db";
import { attendees, type EnvironmentRow } from "../db/schema";
import { createAwsProvider, loadAwsConfig } from "../providers/aws";
import type { Provider } from "@/lib/providers/contract";
import { DELETED_OUTSIDE, reconcileEnvironments } from "./reconcile";

let moto: Awaited<ReturnType<typeof startMoto>>;
let endpoint: string;
const eventId = "it-reconcile";
const folders: string[] = [];

/** Points the portal at an empty data folder, as if its database had been lost. */
function freshStore(): void {
  const holder = globalThis as unknown as { __portalDb?: { sqlite: Database.Database } };
  holder.__portalDb?.sqlite.close();
  delete holder.__portalDb;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-reconcile-"));
  folders.push(dir);
  process.env.PORTAL_DATA_DIR = dir;
}

/** A portal process's AWS provider; a new one is what a restarted portal has. */
function awsProvider() {
  return createAwsProvider(
    loadAwsConfig(
      {
        AWS_REGION: "us-west-2",
        AWS_ENDPOINT_URL: endpoint,
        PORTAL_AWS_MODE: "event",
        PORTAL_EVENT_ID: eventId,
        PORTAL_EVENT_STACK: eventId,
        PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
        DASK_IMAGE: "123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop:harness",
      },
      { templateTransform: motoTemplateTransform, taskCacheMs: 0 },
    ),
  );
}

function refOf(row: EnvironmentRow) {
  return { id: row.id, stackName: row.stackName, attendeeId: row.attendeeId, attendeeEmail: getAttendee(row.attendeeId)?.email ?? "" };
}

describe("reconciling the store with the event's stacks on AWS (moto)", () => {
  let ada: EnvironmentRow;
  let grace: EnvironmentRow;

  beforeAll(async () => {
    moto = await startMoto();
    endpoint = moto.endpoint;
    await holdTaskStates(endpoint);
    process.env.AWS_ACCESS_KEY_ID = "testing";
    process.env.AWS_SECRET_ACCESS_KEY = "testing";
    await deployEventStack(endpoint, { stackName: eventId, eventId });
    freshStore();
    const provider = awsProvider();
    for (const [name, stackName] of [
      ["Ada Lovelace", "dask-ada-reconcile"],
      ["Grace Hopper", "dask-grace-reconcile"],
    ]) {
      const attendee = upsertAttendee({ name, email: `${stackName}@example.org` });
      const { row } = createEnvironmentOnce({ attendeeId: attendee.id, provider: "aws", stackName, desiredWorkers: 2 });
      await provider.deploy(refOf(row), { workers: 2 });
      expect((await provider.describe(refOf(row))).status).toBe("CREATE_COMPLETE");
    }
    [ada, grace] = ["dask-ada-reconcile", "dask-grace-reconcile"].map((s) => {
      const row = environmentByStackName(s);
      if (!row) throw new Error(`${s} not recorded`);
      return row;
    });
  });

  afterAll(async () => {
    await moto?.stop();
    const holder = globalThis as unknown as { __portalDb?: { sqlite: Database.Database } };
    holder.__portalDb?.sqlite.close();
    delete holder.__portalDb;
    for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("brings back every running stack after the store is lost, under its attendee", async () => {
    freshStore();
    // Ada's record survived (say, restored from a backup); Grace's did not.
    const at = new Date().toISOString();
    getDb().insert(attendees).values({ id: ada.attendeeId, email: "ada@example.org", name: "Ada Lovelace", createdAt: at, lastSeenAt: at }).run();

    const provider = awsProvider();
    const result = await reconcileEnvironments(provider);

    expect(result.checked).toBe(true);
    expect(result.found.map((r) => r.stackName).sort()).toEqual(["dask-ada-reconcile", "dask-grace-reconcile"]);
    expect(result.placeholders).toEqual([grace.attendeeId]);
    expect(result.retired).toEqual([]);
    expect(liveEnvironmentOf(ada.attendeeId)).toMatchObject({ id: ada.id, stackName: ada.stackName, status: "CREATE_COMPLETE" });
    expect(liveEnvironmentOf(grace.attendeeId)).toMatchObject({ id: grace.id, stackName: grace.stackName, status: "CREATE_COMPLETE" });
    expect(getAttendee(ada.attendeeId)?.name).toBe("Ada Lovelace");
    expect(getAttendee(grace.attendeeId)?.name).toBe(`unknown attendee ${grace.attendeeId}`);
    // The restarted portal's provider follows what was found.
    expect((await provider.describe(refOf(getEnvironment(grace.id)!))).status).toBe("CREATE_COMPLETE");
    expect(listAudit().filter((a) => a.action === "reconcile")).toHaveLength(3);

    const again = await reconcileEnvironments(provider);
    expect([again.found, again.retired, again.placeholders, again.unresolved]).toEqual([[], [], [], []]);
  });

  it("marks an environment deleted when its stack was deleted outside the portal", async () => {
    await prepareStackDeletion(endpoint, grace.stackName);
    await motoClients(endpoint).cfn.send(new DeleteStackCommand({ StackName: grace.stackName }));

    const provider = awsProvider();
    const result = await reconcileEnvironments(provider);

    expect(result.retired.map((r) => r.id)).toEqual([grace.id]);
    expect(getEnvironment(grace.id)).toMatchObject({ status: "DELETE_COMPLETE", statusReason: DELETED_OUTSIDE });
    expect(getEnvironment(grace.id)?.deletedAt).not.toBeNull();
    expect(liveEnvironmentOf(ada.attendeeId)?.id).toBe(ada.id);
  });

  it("leaves a deploy that has not reached CloudFormation yet alone, but not forever", async () => {
    const newcomer = upsertAttendee({ name: "Katherine Johnson", email: "katherine@example.org" });
    const { row } = createEnvironmentOnce({ attendeeId: newcomer.id, provider: "aws", stackName: "dask-katherine-reconcile", desiredWorkers: 2 });

    expect((await reconcileEnvironments(awsProvider())).retired).toEqual([]);
    const later = await reconcileEnvironments(awsProvider(), { now: new Date(Date.now() + 5 * 60_000) });
    expect(later.retired.map((r) => r.id)).toEqual([row.id]);
  });

  it("compares nothing when the provider keeps no list of stacks", async () => {
    const local = { name: "local" } as unknown as Provider;
    expect(await reconcileEnvironments(local)).toMatchObject({ checked: false, found: [], retired: [] });
  });
});
