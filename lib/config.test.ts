import { describe, expect, it } from "vitest";
import { awsEnv } from "./config";

describe("the AWS section of the configuration", () => {
  it("defaults to us-west-2, where the ERA5 bucket is, and keeps a region that is given", () => {
    expect(awsEnv({}).AWS_REGION).toBe("us-west-2");
    expect(awsEnv({ AWS_REGION: "eu-central-1" }).AWS_REGION).toBe("eu-central-1");
  });

  it("refuses something that is not a region name, saying what it expected", () => {
    expect(() => awsEnv({ AWS_REGION: "oregon" })).toThrow(/AWS_REGION.*region name such as us-west-2/);
  });
});
