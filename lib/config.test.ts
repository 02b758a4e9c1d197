import { describe, expect, it } from "vitest";
import { awsConfig, defaultCadence, portalConfig } from "./config";

describe("the AWS section of the configuration", () => {
  const aws = (env: Record<string, string> = {}) => portalConfig({ PORTAL_PROVIDER: "aws", ...env }).aws!;

  it("defaults to us-west-2, where the ERA5 bucket is, and keeps a region that is given", () => {
    expect(aws().region).toBe("us-west-2");
    expect(aws({ AWS_REGION: "eu-central-1" }).region).toBe("eu-central-1");
  });

  it("refuses something that is not a region name, saying what it expected", () => {
    expect(() => aws({ AWS_REGION: "oregon" })).toThrow(/AWS_REGION.*region name such as us-west-2/);
  });

  it("is part of the portal's configuration with the AWS provider only, its worker maximum the room's", () => {
    expect(portalConfig({}).aws).toBeUndefined();
    expect(portalConfig({ PORTAL_PROVIDER: "aws", PORTAL_MAX_WORKERS: "20" })).toMatchObject({ workers: { max: 20, default: 2 }, aws: { maxWorkers: 20, mode: "solo" } });
    expect(() => aws({ PORTAL_AWS_MODE: "event" })).toThrow(/PORTAL_EVENT_STACK \(the facilitator's event stack\) is required when PORTAL_AWS_MODE=event/);
  });

  it("reads the call budget and the polling cadence at start, refusing a bad value with what it expects", () => {
    const tuned = aws({ PORTAL_AWS_CALL_BUDGET: "ecs-read=5, logs-read=0.5", PORTAL_AWS_POLL_MS: "settled=60000,stacks=600000,logs=2000" });
    expect(tuned.callBudget["ecs-read"]).toEqual({ ratePerSecond: 5, burst: 2 });
    expect(tuned.callBudget["logs-read"]).toEqual({ ratePerSecond: 0.5, burst: 1 });
    expect(tuned.cadence).toEqual({ ...defaultCadence, settledMs: 60_000, settledStacksMs: 600_000, logsMs: 2_000 });
    expect(aws().cadence).toEqual(defaultCadence);
    expect(() => aws({ PORTAL_AWS_CALL_BUDGET: "ecs-read:5" })).toThrow(
      "AWS provider configuration is invalid: PORTAL_AWS_CALL_BUDGET: comma-separated family=calls-per-second, e.g. ecs-read=5,logs-read=2",
    );
    expect(() => aws({ PORTAL_AWS_CALL_BUDGET: "ecs-reads=5" })).toThrow(/^AWS provider configuration is invalid: PORTAL_AWS_CALL_BUDGET names an unknown family "ecs-reads" \(known: cfn-read, /);
    expect(() => aws({ PORTAL_AWS_CALL_BUDGET: "ecs-read=0" })).toThrow("AWS provider configuration is invalid: PORTAL_AWS_CALL_BUDGET ecs-read must be above 0");
    expect(() => aws({ PORTAL_AWS_POLL_MS: "fast=10" })).toThrow(
      "AWS provider configuration is invalid: PORTAL_AWS_POLL_MS: comma-separated changing=, settled=, stacks=, logs=, overlap= in ms",
    );
  });

  it("admits each viewer's address to the dashboards unless PORTAL_DASHBOARD_ACCESS=vpc, which needs event mode and the portal host's security group", () => {
    const event = { PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "room" };
    expect(aws().dashboardAccess).toEqual({ mode: "address" });
    expect(aws({ ...event, PORTAL_DASHBOARD_ACCESS: "vpc", PORTAL_HOST_SECURITY_GROUP: "sg-0123456789abcdef0" }).dashboardAccess).toEqual({
      mode: "vpc",
      portalSecurityGroup: "sg-0123456789abcdef0",
    });
    expect(() => aws({ ...event, PORTAL_DASHBOARD_ACCESS: "private" })).toThrow(
      /^AWS provider configuration is invalid: PORTAL_DASHBOARD_ACCESS: address \(each viewer's address is let in\) or vpc/,
    );
    expect(() => aws({ ...event, PORTAL_DASHBOARD_ACCESS: "vpc" })).toThrow(/PORTAL_HOST_SECURITY_GROUP: .* is required when PORTAL_DASHBOARD_ACCESS=vpc/);
    expect(() => aws({ ...event, PORTAL_DASHBOARD_ACCESS: "vpc", PORTAL_HOST_SECURITY_GROUP: "portal" })).toThrow(/PORTAL_HOST_SECURITY_GROUP: a security group id/);
    expect(() => aws({ PORTAL_DASHBOARD_ACCESS: "vpc", PORTAL_HOST_SECURITY_GROUP: "sg-0123456789abcdef0" })).toThrow(/PORTAL_DASHBOARD_ACCESS: vpc needs PORTAL_AWS_MODE=event/);
  });

  it("points CodeBuild alone at its own endpoint when AWS_ENDPOINT_URL_CODEBUILD is set", () => {
    expect(aws({ AWS_ENDPOINT_URL: "http://127.0.0.1:5000", AWS_ENDPOINT_URL_CODEBUILD: "http://127.0.0.1:5001" })).toMatchObject({
      endpoint: "http://127.0.0.1:5000",
      codebuildEndpoint: "http://127.0.0.1:5001",
    });
    expect(aws({ AWS_ENDPOINT_URL_CODEBUILD: "" }).codebuildEndpoint).toBeUndefined();
  });
});

describe("PORTAL_ERA5_MONTHS", () => {
  it("reads the whole of 2021 by default", () => {
    const months = awsConfig({}).era5Months;
    expect(months).toHaveLength(12);
    expect([months[0], months[11]]).toEqual(["202101", "202112"]);
  });

  it("takes a month, a range across a year's end, and a list, in order and once each", () => {
    expect(awsConfig({ PORTAL_ERA5_MONTHS: "2020-06" }).era5Months).toEqual(["202006"]);
    expect(awsConfig({ PORTAL_ERA5_MONTHS: "2020-11..2021-02" }).era5Months).toEqual(["202011", "202012", "202101", "202102"]);
    expect(awsConfig({ PORTAL_ERA5_MONTHS: "2021-03, 2021-01..2021-02,2021-03" }).era5Months).toEqual(["202101", "202102", "202103"]);
  });

  it.each(["2021-13", "2021-1", "21-01", "2021-03..2021-01", "2021-01..2021-02..2021-03", "", "1900-01", "2000-01..2099-12"])(
    "refuses %j with what it expects",
    (text) => {
      expect(() => awsConfig({ PORTAL_ERA5_MONTHS: text })).toThrow(/PORTAL_ERA5_MONTHS.*a range \(2021-01\.\.2021-12\)/);
    },
  );
});

describe("the store's backups", () => {
  it("copies every 5 minutes and keeps 24 by default, with no bucket", () => {
    expect(portalConfig({}).backup).toEqual({ everyMs: 5 * 60_000, kept: 24, bucket: undefined });
  });

  it("takes a bucket by its S3 name and refuses anything else, saying what it expected", () => {
    expect(portalConfig({ PORTAL_BACKUP_BUCKET: "portal-host-backupbucket-1a2b3c" }).backup.bucket).toBe("portal-host-backupbucket-1a2b3c");
    expect(() => portalConfig({ PORTAL_BACKUP_BUCKET: "s3://Portal_Backups" })).toThrow(/PORTAL_BACKUP_BUCKET: an S3 bucket name/);
    expect(() => portalConfig({ PORTAL_BACKUP_EVERY_MINUTES: "0" })).toThrow(/PORTAL_BACKUP_EVERY_MINUTES/);
  });

  it("reaches the bucket in AWS_REGION, whichever the provider", () => {
    expect(portalConfig({ PORTAL_BACKUP_BUCKET: "portal-host-backupbucket-1a2b3c", AWS_REGION: "eu-west-1" }).backup.aws).toMatchObject({ region: "eu-west-1" });
    expect(() => portalConfig({ PORTAL_BACKUP_BUCKET: "portal-host-backupbucket-1a2b3c", AWS_REGION: "ireland" })).toThrow(/AWS_REGION.*region name such as us-west-2/);
  });
});

describe("the content origin and the local room's isolation settings", () => {
  const base = { PORTAL_DATA_DIR: "/tmp/portal-config-test" };

  it("serves the content origin on the port after the portal's unless told otherwise", () => {
    expect(portalConfig(base).content).toEqual({ port: 3001, portalPort: 3000, domain: undefined });
    expect(portalConfig({ ...base, PORT: "8080" }).content.port).toBe(8081);
    expect(portalConfig({ ...base, PORTAL_CONTENT_PORT: "9000" }).content.port).toBe(9000);
  });

  it("refuses a content port that is the portal's, and a content domain without the portal's public URL", () => {
    expect(() => portalConfig({ ...base, PORT: "4000", PORTAL_CONTENT_PORT: "4000" })).toThrow(/PORTAL_CONTENT_PORT: 4000 cannot serve the content origin beside PORT=4000/);
    expect(() => portalConfig({ ...base, PORTAL_CONTENT_DOMAIN: "content.example.org" })).toThrow(/PORTAL_CONTENT_DOMAIN needs NEXTAUTH_URL/);
    expect(portalConfig({ ...base, PORTAL_CONTENT_DOMAIN: "content.example.org", NEXTAUTH_URL: "https://workshop.example.org" }).content.domain).toBe("content.example.org");
    expect(() => portalConfig({ ...base, PORTAL_CONTENT_DOMAIN: "https://content.example.org", NEXTAUTH_URL: "https://workshop.example.org" })).toThrow(/PORTAL_CONTENT_DOMAIN.*a domain name/);
    expect(() => portalConfig({ ...base, PORTAL_CONTENT_PUBLIC_PORT: "8443" })).toThrow(/PORTAL_CONTENT_PUBLIC_PORT needs NEXTAUTH_URL/);
    expect(portalConfig({ ...base, PORTAL_CONTENT_PUBLIC_PORT: "8443", NEXTAUTH_URL: "https://workshop.example.org" }).content).toMatchObject({ port: 3001, publicPort: 8443 });
    expect(() => portalConfig({ ...base, PORTAL_CONTENT_PUBLIC_PORT: "eighty", NEXTAUTH_URL: "https://workshop.example.org" })).toThrow(/PORTAL_CONTENT_PUBLIC_PORT/);
  });

  it("reads the sandboxes' egress, the weaker modes accepted and each environment's caps, refusing what it does not know", () => {
    const local = portalConfig({ ...base, PORTAL_LOCAL_ACCEPT: "uncapped, shared-network", PORTAL_LOCAL_NOTEBOOK_MEMORY: "512MiB", PORTAL_LOCAL_CPUS: "1.5" }).local;
    expect(local).toMatchObject({ egress: "public", accept: ["uncapped", "shared-network"], notebookMemoryMiB: 512, cpus: 1.5 });
    expect(portalConfig(base).local).toMatchObject({ accept: [], notebookMemoryMiB: 1024, cpus: 2 });
    expect(() => portalConfig({ ...base, PORTAL_LOCAL_ACCEPT: "no-sandbox" })).toThrow(/PORTAL_LOCAL_ACCEPT.*unknown mode "no-sandbox".*shared-network, uncapped/);
    expect(() => portalConfig({ ...base, PORTAL_LOCAL_EGRESS: "private" })).toThrow(/PORTAL_LOCAL_EGRESS/);
    expect(() => portalConfig({ ...base, PORTAL_LOCAL_CPUS: "0" })).toThrow(/PORTAL_LOCAL_CPUS/);
  });
});
