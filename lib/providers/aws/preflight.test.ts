import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assessHeadroom, environmentVcpu, parameterDefault, vcpuOfSize } from "./preflight";

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
