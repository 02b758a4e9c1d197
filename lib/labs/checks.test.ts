import { describe, expect, it } from "vitest";
import { providerRef } from "@/lib/db/environment-queries";
import { attendee, environmentRow, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { runCheck } from "./checks";

memoryStorePerTest();

describe("the tools-ready check", () => {
  it("tells the attendee what the platform said, without the account's ids or ARNs", async () => {
    const { rt, fake } = fakeRuntime();
    fake.setOutage(
      "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/portal-role/session is not authorized to perform cloudformation:DescribeStacks on account 123456789012",
    );
    const ada = attendee("Ada");
    const result = await runCheck(rt, { id: ada.id, role: "attendee" }, "01-set-up-your-tools", "tools-ready");
    expect(result.passed).toBe(false);
    const said = JSON.stringify(result);
    expect(said).toContain("AccessDenied");
    expect(said).toContain("(an AWS resource) is not authorized");
    expect(said).not.toMatch(/123456789012|arn:aws|portal-role/);
  });
});

describe("the computation-ran check (lab 4)", () => {
  const progress = (tasks: number, bytes: number) =>
    `2026-12-01 09:14:03,512 - distributed.workshop_progress - INFO - dask-workshop-progress {"v":1,"tasks":${tasks},"bytes":${bytes},"workers":2,"pins":null}`;

  async function deployed() {
    const { rt, fake } = fakeRuntime();
    const ada = attendee("Ada");
    const row = environmentRow(ada.id, "dask-ada");
    await fake.deploy(providerRef(row), { workers: 2 });
    fake.settle(row.id);
    const check = () => runCheck(rt, { id: ada.id, role: "attendee" }, "04-analyse-era5-in-the-notebook", "computation-ran");
    return { fake, row, check };
  }

  it("fails until the scheduler's newest progress line shows tasks computed and data held, then passes", async () => {
    const { fake, row, check } = await deployed();
    const none = await check();
    expect(none).toMatchObject({ passed: false, message: "Your scheduler has not reported any progress yet." });

    fake.log(row.id, progress(0, 0));
    expect(await check()).toMatchObject({ passed: false, message: "Your scheduler has not computed anything yet." });

    fake.log(row.id, progress(340, 0));
    const computedOnly = await check();
    expect(computedOnly.passed).toBe(false);
    expect(!computedOnly.passed && computedOnly.message).toContain("340 task(s) but holds no data");
    expect(!computedOnly.passed && computedOnly.hint).toContain("persist");

    fake.log(row.id, progress(1520, 3000000000));
    expect(await check()).toMatchObject({ passed: true, detail: "your scheduler reports 1520 tasks done · 2.79 GiB held · 2 workers" });
  });

  it("is not fooled by a worker printing a progress line", async () => {
    const { fake, row, check } = await deployed();
    fake.log(row.id, progress(1520, 3000000000), "worker", "worker-1");
    expect((await check()).passed).toBe(false);
  });
});
