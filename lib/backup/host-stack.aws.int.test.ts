// The host stack (cloudformation/portal-host.yaml) on moto with IAM enforced: deployed by the
// administrator in a VPC of its own and in the event stack's VPC, and deleted; the portal,
// signed as a user holding only the access stack's PortalPolicy, keeps copies of its store
// in the stack's bucket and reads one back; an upload anywhere else is refused, shown and
// audited. moto checks S3 calls against the object's ARN. moto 5.2.5 drops some properties
// (the instance's MetadataOptions, the volume's encryption and type, the bucket's versioning
// and public access block)
// and runs nothing (user data, snapshots on deletion, TLS-only access): those are checked on
// the template itself (cloudformation/rules/test_portal_host.py) against AWS's documentation
// (docs/hosting.md, "Facts relied on").
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import {
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getSqlite, openDb, storeFile, useStore } from "@/lib/db";
import { listAudit } from "@/lib/db/audit-queries";
import { deployEventStack, motoClients, motoTemplateTransform, prepareStackDeletion, repoRoot, setIamEnforcement, stackOutputs, startMoto } from "../../test/moto/index.mjs";
import { BackupKeeper } from "./keeper";
import { backupClient } from "./s3";

let moto: Awaited<ReturnType<typeof startMoto>>;
let admin: ReturnType<typeof motoClients>;
let adminS3: S3Client;
let portalPolicyArn: string;
let portalKeys: { accessKeyId: string; secretAccessKey: string };
let tmp: string;
let closeStore: () => void = () => {};
const commit = "0123456789abcdef0123456789abcdef01234567";
const facilitator = { id: "facilitator", role: "facilitator" as const };

async function asAdministrator<T>(fn: () => Promise<T>): Promise<T> {
  await setIamEnforcement(moto.endpoint, false);
  try {
    return await fn();
  } finally {
    await setIamEnforcement(moto.endpoint, true);
  }
}

/** IAM AttachUserPolicy as a plain query call (moto's CloudFormation ignores a user's ManagedPolicyArns). */
async function attachUserPolicy(userName: string, policyArn: string): Promise<void> {
  const response = await fetch(moto.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "AWS4-HMAC-SHA256 Credential=testing/20260101/us-west-2/iam/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: new URLSearchParams({ Action: "AttachUserPolicy", Version: "2010-05-08", UserName: userName, PolicyArn: policyArn }).toString(),
  });
  if (!response.ok) throw new Error(`AttachUserPolicy failed: ${response.status} ${await response.text()}`);
}

const hostParameters = (extra: Record<string, string> = {}) =>
  Object.entries({
    HostName: "workshop.example.org",
    RepositoryUrl: "https://git.example.org/dask-ecs-workshop.git",
    Commit: commit,
    PortalPolicyArn: portalPolicyArn,
    AcmeEmail: "facilitator@example.org",
    ...extra,
  }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));

async function deployHost(stackName: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return asAdministrator(async () => {
    await admin.cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: motoTemplateTransform(fs.readFileSync(path.join(repoRoot, "cloudformation/portal-host.yaml"), "utf8")),
        Parameters: hostParameters(extra),
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    return stackOutputs(admin, stackName);
  });
}

async function resourcesOf(stackName: string): Promise<Record<string, { type: string; id: string }>> {
  const { StackResources } = await admin.cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  return Object.fromEntries((StackResources ?? []).map((r) => [r.LogicalResourceId!, { type: r.ResourceType!, id: r.PhysicalResourceId! }]));
}

/** The portal's S3 client, signed as the user that holds only PortalPolicy. */
const portalS3 = () => backupClient({ region: "us-west-2", endpoint: moto.endpoint });

beforeAll(async () => {
  moto = await startMoto({ iam: true });
  admin = motoClients(moto.endpoint);
  adminS3 = new S3Client({ region: "us-west-2", endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  await asAdministrator(async () => {
    await admin.cfn.send(
      new CreateStackCommand({
        StackName: "portal-access",
        TemplateBody: fs.readFileSync(path.join(repoRoot, "cloudformation/portal-access.yaml"), "utf8"),
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    portalPolicyArn = (await stackOutputs(admin, "portal-access")).PortalPolicyArn;
    await admin.cfn.send(
      new CreateStackCommand({
        StackName: "host-harness",
        TemplateBody: JSON.stringify({
          Resources: { PortalUser: { Type: "AWS::IAM::User" }, PortalKey: { Type: "AWS::IAM::AccessKey", Properties: { UserName: { Ref: "PortalUser" } } } },
          Outputs: { UserName: { Value: { Ref: "PortalUser" } }, KeyId: { Value: { Ref: "PortalKey" } }, Secret: { Value: { "Fn::GetAtt": ["PortalKey", "SecretAccessKey"] } } },
        }),
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    const harness = await stackOutputs(admin, "host-harness");
    await attachUserPolicy(harness.UserName, portalPolicyArn);
    portalKeys = { accessKeyId: harness.KeyId, secretAccessKey: harness.Secret };
  });
  // The portal's own calls use the default credential chain, as on the host (its instance role).
  process.env.AWS_ACCESS_KEY_ID = portalKeys.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = portalKeys.secretAccessKey;
}, 120_000);

afterAll(() => moto?.stop());

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "portal-host-"));
  closeStore();
  closeStore = useStore(openDb(storeFile(path.join(tmp, "data"))));
  return () => fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the host stack in a VPC of its own", () => {
  let outputs: Record<string, string>;
  let resources: Record<string, { type: string; id: string }>;

  beforeAll(async () => {
    outputs = await deployHost("portal-host");
    resources = await asAdministrator(() => resourcesOf("portal-host"));
  }, 120_000);

  it("runs one instance in its own public subnet, with user data that installs the pinned commit", async () => {
    await asAdministrator(async () => {
      const { Reservations } = await admin.ec2.send(new DescribeInstancesCommand({ InstanceIds: [outputs.InstanceId] }));
      const instance = Reservations![0].Instances![0];
      expect(instance.InstanceType).toBe("t4g.small");
      expect(instance.SubnetId).toBe(resources.PublicSubnet.id);
      const { UserData } = await admin.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: outputs.InstanceId, Attribute: "userData" }));
      const script = Buffer.from(UserData!.Value!, "base64").toString();
      expect(script).toContain(`"$src/deploy/install.sh" --hostname "workshop.example.org" --commit "${commit}"`);
      expect(script).toContain(`--public-address "${outputs.PublicAddress}"`);
      expect(script).toContain(`--backup-bucket "${outputs.BackupBucket}" --aws-region "us-west-2" --email facilitator@example.org `);
      expect(script).not.toContain("--event-stack");
    });
  });

  it("opens 80 and 443 only, and nothing else", async () => {
    await asAdministrator(async () => {
      const { SecurityGroups } = await admin.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [resources.HostSecurityGroup.id] }));
      const open = SecurityGroups![0].IpPermissions!.map((p) => `${p.IpProtocol}:${p.FromPort}-${p.ToPort} ${p.IpRanges!.map((r) => r.CidrIp).join(",")}`);
      expect(open.sort()).toEqual(["tcp:443-443 0.0.0.0/0", "tcp:80-80 0.0.0.0/0"]);
    });
  });

  it("attaches a data volume of the size asked for, and makes a bucket encrypted by default", async () => {
    await asAdministrator(async () => {
      const { Volumes } = await admin.ec2.send(new DescribeVolumesCommand({ VolumeIds: [outputs.DataVolumeId] }));
      expect(Volumes![0]).toMatchObject({ Size: 20, Attachments: [expect.objectContaining({ InstanceId: outputs.InstanceId, Device: "/dev/sdf" })] });
      const Bucket = outputs.BackupBucket;
      const encryption = await adminS3.send(new GetBucketEncryptionCommand({ Bucket }));
      expect(encryption.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm).toBe("AES256");
    });
  });

  it("takes the portal's copies of its store, signed with PortalPolicy alone, and gives one back for a restore", async () => {
    const keeper = new BackupKeeper({ config: { everyMs: 300_000, kept: 3, bucket: outputs.BackupBucket }, dataDir: path.join(tmp, "data"), sqlite: getSqlite, client: portalS3 });
    const { copy, upload } = await keeper.backUpNow(facilitator);
    expect(upload).toBe(`s3://${outputs.BackupBucket}/store/${copy.name}`);
    expect(keeper.status()).toMatchObject({ failure: null, lastUpload: { location: upload } });
    expect(listAudit()[0]).toMatchObject({ action: "backup", result: "ok", target: `s3://${outputs.BackupBucket}`, detail: expect.stringContaining(`uploaded to ${upload}`) });
    const stored = await portalS3().send(new GetObjectCommand({ Bucket: outputs.BackupBucket, Key: `store/${copy.name}` }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(fs.readFileSync(copy.file))).toBe(true);

    // make restore on another machine, reading the copy with the portal's own rights.
    const elsewhere = path.join(tmp, "elsewhere");
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        "node",
        ["--conditions=react-server", "--import", "tsx", "scripts/restore.ts", upload!],
        { cwd: repoRoot, env: { ...process.env, PORTAL_DATA_DIR: elsewhere, PORT: "1", AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-west-2" } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      ),
    );
    expect(run.stdout).toContain(`Restored ${upload} into ${elsewhere}`);
    expect(run.code).toBe(0);
    expect(fs.existsSync(storeFile(elsewhere))).toBe(true);
  });

  it("shows and audits an upload S3 refuses (any other bucket), keeping the local copy and the store as they were", async () => {
    const other = "someone-elses-bucket";
    await asAdministrator(async () => {
      const { CreateBucketCommand } = await import("@aws-sdk/client-s3");
      await adminS3.send(new CreateBucketCommand({ Bucket: other, CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
    });
    const sqlite = getSqlite();
    sqlite.prepare("INSERT INTO announcements (message, created_at) VALUES ('kept', 'now')").run();
    const keeper = new BackupKeeper({ config: { everyMs: 300_000, kept: 3, bucket: other }, dataDir: path.join(tmp, "data"), sqlite: getSqlite, client: portalS3 });
    await expect(keeper.backUpNow(facilitator)).rejects.toThrow(
      /^The upload to s3:\/\/someone-elses-bucket\/store\/portal-\d{8}T\d{6}Z\.sqlite failed: The portal's role (cannot s3:PutObject|is refused while uploading).*: update portal-access\. The store itself is unchanged\.$/,
    );
    expect(keeper.status()).toMatchObject({ failure: { message: expect.stringContaining("update portal-access") }, copies: [expect.objectContaining({ name: expect.any(String) })] });
    expect(listAudit()[0]).toMatchObject({ action: "backup", actorId: "facilitator", result: "error", target: "s3://someone-elses-bucket" });
    expect(sqlite.prepare("SELECT message FROM announcements").all()).toEqual([{ message: "kept" }]);
  });

  it("gets one copy at the event's end, however often the portal checks the end", async () => {
    const keeper = new BackupKeeper({ config: { everyMs: 300_000, kept: 3, bucket: outputs.BackupBucket }, dataDir: path.join(tmp, "data"), sqlite: getSqlite, client: portalS3 });
    const before = await asAdministrator(() => adminS3.send(new ListObjectVersionsCommand({ Bucket: outputs.BackupBucket, Prefix: "store/" })));
    for (let check = 0; check < 3; check++) await keeper.atEventEnd("2026-03-01T17:00:00.000Z");
    const after = await asAdministrator(() => adminS3.send(new ListObjectVersionsCommand({ Bucket: outputs.BackupBucket, Prefix: "store/" })));
    expect((after.Versions ?? []).length - (before.Versions ?? []).length).toBe(1);
    expect(listAudit().filter((e) => e.action === "backup")).toEqual([expect.objectContaining({ actorId: "portal", result: "ok", target: `s3://${outputs.BackupBucket}` })]);
  });

  it("is deleted cleanly once its bucket is emptied", async () => {
    await asAdministrator(async () => {
      const { Versions } = await adminS3.send(new ListObjectVersionsCommand({ Bucket: outputs.BackupBucket }));
      const objects = (Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      if (objects.length) await adminS3.send(new DeleteObjectsCommand({ Bucket: outputs.BackupBucket, Delete: { Objects: objects } }));
      await prepareStackDeletion(moto.endpoint, "portal-host");
      await admin.cfn.send(new DeleteStackCommand({ StackName: "portal-host" }));
      expect(await stackGone("portal-host")).toBe(true);
    });
  });
});

async function stackGone(stackName: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const { Stacks } = await admin.cfn.send(new DescribeStacksCommand({})).catch(() => ({ Stacks: [] }));
    if (!(Stacks ?? []).some((s) => s.StackName === stackName && s.StackStatus !== "DELETE_COMPLETE")) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe("the host stack in the event stack's VPC", () => {
  it("joins the event's VPC and first public subnet, makes no network of its own, and runs the portal in event mode", async () => {
    const event = await asAdministrator(() => deployEventStack(moto.endpoint, { stackName: "dask-host-event", eventId: "host-it" }));
    const outputs = await deployHost("portal-host-event", { EventStackName: "dask-host-event", EventId: "host-it" });
    await asAdministrator(async () => {
      const resources = await resourcesOf("portal-host-event");
      expect(Object.values(resources).filter((r) => /^AWS::EC2::(VPC|Subnet|Route|InternetGateway)/.test(r.type ?? ""))).toEqual([]);
      const { Reservations } = await admin.ec2.send(new DescribeInstancesCommand({ InstanceIds: [outputs.InstanceId] }));
      expect(Reservations![0].Instances![0]).toMatchObject({ SubnetId: event.PublicSubnetA, VpcId: event.VpcId });
      const { UserData } = await admin.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: outputs.InstanceId, Attribute: "userData" }));
      expect(Buffer.from(UserData!.Value!, "base64").toString()).toContain("--event-stack dask-host-event");
      await admin.cfn.send(new DeleteStackCommand({ StackName: "portal-host-event" }));
      expect(await stackGone("portal-host-event")).toBe(true);
    });
  });
});
