import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadAwsConfig } from "./config";
import { countResources, createToken, stackParameters, validateStackName } from "./stack";

const env = { id: "e1", stackName: "dask-ada", attendeeId: "ada", attendeeEmail: "ada@example.org" };

describe("stack names", () => {
  it("accepts CloudFormation's names and refuses the rest", () => {
    expect(validateStackName("dask-ada-01")).toBe("dask-ada-01");
    for (const bad of ["", "1dask", "dask_ada", "dask ada", `d${"a".repeat(128)}`]) {
      expect(() => validateStackName(bad)).toThrow(/not a valid stack name/);
    }
  });
});

describe("client request tokens", () => {
  it("repeat for the same environment and change after a teardown", () => {
    expect(createToken(env, 0)).toBe(createToken(env, 0));
    expect(createToken(env, 1)).not.toBe(createToken(env, 0));
    expect(createToken(env, 0)).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]{0,127}$/);
  });
});

describe("template resource count", () => {
  it("counts the resources the portal deploys, in YAML and JSON", () => {
    const solo = readFileSync(path.resolve(__dirname, "../../../cloudformation/solo.yaml"), "utf8");
    const event = readFileSync(path.resolve(__dirname, "../../../cloudformation/event.yaml"), "utf8");
    const attendee = readFileSync(path.resolve(__dirname, "../../../cloudformation/attendee.yaml"), "utf8");
    // Solo leaves out the room's image: repository, source bucket and its policy, build log
    // group, role and project (ROOM_ONLY_RESOURCES in cloudformation/tools/compose_solo.py).
    const roomOnly = 6;
    expect(countResources(solo)).toBe(countResources(event) - roomOnly + countResources(attendee));
    // 18 for an attendee; the rehearsal's task definition and role are conditional, not counted.
    expect(countResources(attendee)).toBe(18);
    expect(countResources(JSON.stringify({ Resources: { A: {}, B: {}, OnlyIf: { Condition: "IsRehearsal" } } }))).toBe(2);
  });

  it("keeps the solo template under CloudFormation's 51,200-byte TemplateBody limit", () => {
    const solo = readFileSync(path.resolve(__dirname, "../../../cloudformation/solo.yaml"));
    expect(solo.length).toBeLessThan(51_200);
  });
});

describe("attendee stack parameters", () => {
  const config = (extra: Record<string, string> = {}) =>
    loadAwsConfig({ PORTAL_EVENT_ID: "room", PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/w.git", ...extra });

  it("put the notebooks in the chosen private subnet, and leave the template's default otherwise", () => {
    const subnet = (c: ReturnType<typeof config>) => stackParameters(c, env, 2, "img:pins-0123456789ab").find((p) => p.ParameterKey === "NotebookSubnet");
    expect(subnet(config({ PORTAL_NOTEBOOK_SUBNET: "B" }))?.ParameterValue).toBe("B");
    expect(subnet(config())).toBeUndefined();
  });

  it("refuses a subnet the templates do not have, saying which they have", () => {
    expect(() => config({ PORTAL_NOTEBOOK_SUBNET: "C" })).toThrow(/PORTAL_NOTEBOOK_SUBNET.*A or B/);
  });
});
