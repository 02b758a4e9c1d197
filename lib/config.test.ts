import { describe, expect, it } from "vitest";
import { awsEnv, portalConfig } from "./config";

describe("the AWS section of the configuration", () => {
  it("defaults to us-west-2, where the ERA5 bucket is, and keeps a region that is given", () => {
    expect(awsEnv({}).AWS_REGION).toBe("us-west-2");
    expect(awsEnv({ AWS_REGION: "eu-central-1" }).AWS_REGION).toBe("eu-central-1");
  });

  it("refuses something that is not a region name, saying what it expected", () => {
    expect(() => awsEnv({ AWS_REGION: "oregon" })).toThrow(/AWS_REGION.*region name such as us-west-2/);
  });
});

describe("PORTAL_ERA5_MONTHS", () => {
  it("reads the whole of 2021 by default", () => {
    const months = awsEnv({}).PORTAL_ERA5_MONTHS;
    expect(months).toHaveLength(12);
    expect([months[0], months[11]]).toEqual(["202101", "202112"]);
  });

  it("takes a month, a range across a year's end, and a list, in order and once each", () => {
    expect(awsEnv({ PORTAL_ERA5_MONTHS: "2020-06" }).PORTAL_ERA5_MONTHS).toEqual(["202006"]);
    expect(awsEnv({ PORTAL_ERA5_MONTHS: "2020-11..2021-02" }).PORTAL_ERA5_MONTHS).toEqual(["202011", "202012", "202101", "202102"]);
    expect(awsEnv({ PORTAL_ERA5_MONTHS: "2021-03, 2021-01..2021-02,2021-03" }).PORTAL_ERA5_MONTHS).toEqual(["202101", "202102", "202103"]);
  });

  it.each(["2021-13", "2021-1", "21-01", "2021-03..2021-01", "2021-01..2021-02..2021-03", "", "1900-01", "2000-01..2099-12"])(
    "refuses %j with what it expects",
    (text) => {
      expect(() => awsEnv({ PORTAL_ERA5_MONTHS: text })).toThrow(/PORTAL_ERA5_MONTHS.*a range \(2021-01\.\.2021-12\)/);
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
});
