import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assessHeadroom, environmentVcpu, notebookTypeQuota, parameterDefault, quotaFix, quotaLine, vcpuByCapacity, vcpuOfSize } from "./preflight";
import { checkEra5Region, era5MonthsLine, era5TemperatureKey, monthList, parseEcrImage, roleNameOfArn } from "./preflight-checks";

const template = (name: string) => readFileSync(path.resolve(__dirname, "../../../cloudformation", name), "utf8");

describe("headroom", () => {
  it("counts what the room already runs once, not twice", () => {
    // 20 attendees × 3 vCPU; 12 vCPU of the room's already run in the event cluster.
    expect(assessHeadroom({ quota: 100, inUse: 12, needed: 60, roomInUse: 12 })).toEqual({ projected: 60, status: "ok" });
  });

  it("warns above 80% of the quota and fails above it", () => {
    expect(assessHeadroom({ quota: 100, inUse: 0, needed: 80, roomInUse: 0 }).status).toBe("ok");
    expect(assessHeadroom({ quota: 100, inUse: 0, needed: 81, roomInUse: 0 }).status).toBe("warn");
    expect(assessHeadroom({ quota: 100, inUse: 0, needed: 100, roomInUse: 0 }).status).toBe("warn");
    expect(assessHeadroom({ quota: 100, inUse: 0, needed: 101, roomInUse: 0 })).toEqual({ projected: 101, status: "fail" });
  });

  it("adds what others use in the account to what the room still has to start", () => {
    // Solo mode: 5 VPCs allowed, the default VPC plus 2 attendee stacks exist, 4 attendees in all.
    expect(assessHeadroom({ quota: 5, inUse: 3, needed: 4, roomInUse: 2 })).toEqual({ projected: 5, status: "warn" });
    expect(assessHeadroom({ quota: 5, inUse: 3, needed: 5, roomInUse: 2 })).toEqual({ projected: 6, status: "fail" });
  });

  it("shows more in use than planned (the room scaled up) against the quota", () => {
    expect(assessHeadroom({ quota: 50, inUse: 60, needed: 30, roomInUse: 60 })).toEqual({ projected: 60, status: "fail" });
  });

  it("never says ok when the quota or the current use could not be read", () => {
    expect(assessHeadroom({ quota: null, inUse: 0, needed: 3, roomInUse: 0 }).status).toBe("warn");
    expect(assessHeadroom({ quota: 100, inUse: null, needed: 3, roomInUse: 0 })).toEqual({ projected: 3, status: "warn" });
    expect(assessHeadroom({ quota: 2, inUse: null, needed: 3, roomInUse: 0 }).status).toBe("fail");
  });
});

describe("environment size", () => {
  it("reads Fargate sizes by their names", () => {
    expect(vcpuOfSize("0.5vCPU-2GB")).toBe(0.5);
    expect(vcpuOfSize("4vCPU-30GB")).toBe(4);
    expect(() => vcpuOfSize("large")).toThrow();
  });

  it("takes the scheduler and worker sizes from the templates' defaults", () => {
    for (const name of ["attendee.yaml", "solo.yaml"]) {
      expect(parameterDefault(template(name), "SchedulerSize")).toBe("1vCPU-4GB");
      expect(parameterDefault(template(name), "WorkerSize")).toBe("1vCPU-8GB");
    }
    expect(environmentVcpu(template("attendee.yaml"), 2)).toEqual({ scheduler: 1, worker: 1, workers: 2, total: 3 });
    expect(environmentVcpu("Parameters:\n  WorkerSize:\n    Type: String\n    Default: 0.5vCPU-2GB\n", 4).total).toBe(3);
  });
});

describe("On-Demand and Spot", () => {
  const perEnv = { scheduler: 1, worker: 1, workers: 2, total: 3 };

  it("counts Spot workers against the Spot quota and only the scheduler against On-Demand", () => {
    expect(vcpuByCapacity(perEnv, "FARGATE_SPOT")).toEqual({ FARGATE: 1, FARGATE_SPOT: 2 });
  });

  it("counts everything against On-Demand when the workers run on FARGATE", () => {
    expect(vcpuByCapacity(perEnv, "FARGATE")).toEqual({ FARGATE: 3, FARGATE_SPOT: 0 });
    expect(vcpuByCapacity({ scheduler: 1, worker: 0.5, workers: 3, total: 2.5 }, "FARGATE_SPOT")).toEqual({ FARGATE: 1, FARGATE_SPOT: 1.5 });
  });
});

describe("a quota line", () => {
  const spot = { name: "Fargate Spot vCPU resource count", serviceCode: "fargate", quotaCode: "L-36FBB829" };
  const base = {
    key: "fargate-spot-vcpu" as const,
    label: "Fargate Spot vCPU",
    unit: "vCPU",
    spec: spot,
    inUse: { value: 0 },
    roomInUse: 0,
    needWords: "The room needs 60 vCPU",
    useWords: "run in the event cluster",
    alternative: "plan for fewer attendees",
  };

  it("is green without a fix when there is room", () => {
    const line = quotaLine({ ...base, quota: { value: 4000, source: "account" }, needed: 60 }, "us-west-2");
    expect(line).toMatchObject({ kind: "quota", status: "ok", quota: 4000, projected: 60 });
    expect(line.fix).toBeUndefined();
    expect(line.sentence).toContain("There is room.");
  });

  it("is red over the quota and names the quota, its code, the region, the value to ask for (a fifth free) and how early", () => {
    const line = quotaLine({ ...base, quota: { value: 12, source: "account" }, needed: 60 }, "us-west-2");
    expect(line.status).toBe("fail");
    expect(line.fix).toBe(
      'Request an increase of "Fargate Spot vCPU resource count" (L-36FBB829) to at least 75 in Service Quotas for us-west-2, at least 7 days before the event, or plan for fewer attendees.',
    );
    expect(line).toMatchObject({ stage: "before", daysAhead: 7 });
  });

  it("is amber close to the quota, and asks for enough to leave a fifth free", () => {
    const line = quotaLine({ ...base, quota: { value: 64, source: "account" }, needed: 60 }, "us-west-2");
    expect(line.status).toBe("warn");
    expect(line.fix).toContain("to at least 75 in Service Quotas");
  });

  it("is amber when the quota could not be read, and says where to look it up", () => {
    const line = quotaLine({ ...base, quota: { value: null, source: "unknown" }, needed: 60 }, "eu-west-1");
    expect(line.status).toBe("warn");
    expect(line.sentence).toContain("the quota could not be read");
    expect(line.fix).toMatch(/^Look up "Fargate Spot vCPU resource count" \(L-36FBB829\) in the Service Quotas console for eu-west-1/);
  });

  it("asks for the reading, not a quota increase, when only current use could not be read", () => {
    const line = quotaLine({ ...base, quota: { value: 4000, source: "account" }, inUse: { value: null, problem: "AccessDenied" }, needed: 60 }, "us-west-2");
    expect(line.status).toBe("warn");
    expect(line.sentence).toContain("current use could not be read (AccessDenied)");
    expect(line.fix).toMatch(/^Re-run these checks/);
  });

  it("names a notebook type's quota by its name, with the code Service Quotas answered", () => {
    expect(notebookTypeQuota("ml.t3.medium").name).toBe("ml.t3.medium for notebook instance usage");
    expect(quotaFix({ name: "ml.t3.medium for notebook instance usage", code: "L-ABC12345" }, "us-west-2", "fail", 8, 9)).toContain(
      '"ml.t3.medium for notebook instance usage" (L-ABC12345) to at least 12',
    );
  });

  it("sees a ninth notebook instance over a quota of eight (the room's own counted once)", () => {
    const line = quotaLine(
      { ...base, key: "notebook-instances", unit: "notebook instances", spec: { name: "Total number of notebook instances", serviceCode: "sagemaker" }, quota: { value: 8, source: "account" }, inUse: { value: 3 }, roomInUse: 3, needed: 9 },
      "us-west-2",
    );
    expect(line).toMatchObject({ status: "fail", projected: 9 });
  });
});

describe("the ERA5 months", () => {
  it("names the 2 m temperature file of a month as NCAR does, ending on its last day", () => {
    expect(era5TemperatureKey("202101")).toBe("e5.oper.an.sfc/202101/e5.oper.an.sfc.128_167_2t.ll025sc.2021010100_2021013123.nc");
    expect(era5TemperatureKey("202002")).toBe("e5.oper.an.sfc/202002/e5.oper.an.sfc.128_167_2t.ll025sc.2020020100_2020022923.nc");
    expect(era5TemperatureKey("202102")).toMatch(/_2021022823\.nc$/);
    expect(era5TemperatureKey("202104")).toMatch(/_2021043023\.nc$/);
  });

  it("folds consecutive months into ranges", () => {
    expect(monthList(["202011", "202012", "202101", "202103"])).toBe("2020-11..2021-01, 2021-03");
  });

  const months = ["202101", "202102", "202103"];

  it("is green when every month is there", () => {
    expect(era5MonthsLine(months, { present: months, missing: [] })).toMatchObject({ status: "ok", key: "era5-months" });
  });

  it("is red naming the missing months and what to set", () => {
    const line = era5MonthsLine(months, { present: ["202101"], missing: ["202102", "202103"] });
    expect(line.status).toBe("fail");
    expect(line.sentence).toContain("2 of 3 months have no 2 m temperature file in the bucket: 2021-02..2021-03.");
    expect(line.fix).toBe("Set PORTAL_ERA5_MONTHS, and the notebook's years and months, to months the bucket holds, e.g. 2021-01.");
  });

  it("says so when no month at all has files", () => {
    const line = era5MonthsLine(months, { present: [], missing: months });
    expect(line.status).toBe("fail");
    expect(line.sentence).toMatch(/^No month of PORTAL_ERA5_MONTHS \(2021-01\.\.2021-03\) has a 2 m temperature file/);
  });

  it("warns, with the sentence the brief of issue 12 asks for, outside us-west-2", () => {
    expect(checkEra5Region("us-west-2").status).toBe("ok");
    const line = checkEra5Region("eu-central-1");
    expect(line.status).toBe("warn");
    expect(`${line.sentence} ${line.fix}`).toBe(
      "ERA5 is in us-west-2; stacks in eu-central-1 read it across regions: slower and charged per GB. Deploy in us-west-2 (AWS_REGION=us-west-2).",
    );
  });
});

describe("names in ARNs and image addresses", () => {
  it("finds a role's name in its ARN, path or not", () => {
    expect(roleNameOfArn("arn:aws:iam::123456789012:role/dask-workshop-cfn")).toBe("dask-workshop-cfn");
    expect(roleNameOfArn("arn:aws:iam::123456789012:role/service/dask/cfn-role")).toBe("cfn-role");
    expect(roleNameOfArn("arn:aws:iam::123456789012:user/alice")).toBeUndefined();
  });

  it("splits an ECR address into registry, region, repository, tag and digest", () => {
    expect(parseEcrImage("123456789012.dkr.ecr.us-west-2.amazonaws.com/dask-workshop/room:pins-0123456789ab")).toEqual({
      registryId: "123456789012",
      region: "us-west-2",
      repositoryName: "dask-workshop/room",
      tag: "pins-0123456789ab",
    });
    expect(parseEcrImage(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/room@sha256:${"a".repeat(64)}`)).toMatchObject({ repositoryName: "room", digest: `sha256:${"a".repeat(64)}` });
    expect(parseEcrImage("123456789012.dkr.ecr.us-west-2.amazonaws.com/room")).toEqual({ registryId: "123456789012", region: "us-west-2", repositoryName: "room" });
    expect(parseEcrImage("ghcr.io/dask/dask:2024.1.0")).toBeUndefined();
  });
});
