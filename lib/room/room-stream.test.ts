import { createHash } from "node:crypto";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { attendee, environmentRow, fakeRuntime, fakeTimersPerTest, memoryStorePerTest } from "@/test/support/unit";
import { providerRef } from "@/lib/db/environment-queries";
import type { AttendeeEvents, FrameOf, RoomEvents } from "@/lib/stream/protocol";
import { setCurrentLab } from "@/lib/db/lab-queries";
import { announce } from "./facilitator";
import { requestHelp, updateHelp } from "./help";

// The facilitator's room stream and the attendees' channel, on the portal's runtime with
// the fake provider, an in-memory store and fake timers.

memoryStorePerTest();
const pass = fakeTimersPerTest();

function facilitatorTab() {
  const frames: FrameOf<RoomEvents>[] = [];
  return {
    frames,
    sink: { send: (f: FrameOf<RoomEvents>) => frames.push(f) > 0, close: () => {} },
    rows: () => frames.flatMap((f) => (f.event === "roster" ? f.data.rows : [])),
  };
}

async function runningRoom(names: string[]) {
  const { fake, rt } = fakeRuntime();
  const rows = [];
  for (const name of names) {
    const row = environmentRow(attendee(name).id, `dask-${name}`);
    await fake.deploy(providerRef(row), { workers: 2 });
    fake.settle(row.id);
    rows.push(row);
  }
  return { fake, rt, rows };
}

describe("the facilitator's room stream", () => {
  it("sends an attendee's roster row when it changes, and not for each log line of their environment", async () => {
    const { fake, rt, rows } = await runningRoom(["Fay", "Gus"]);
    // Started, the runtime records each environment's use on every snapshot, as in the portal.
    await rt.start();
    const tab = facilitatorTab();
    rt.room.subscribe(tab.sink, null);
    await pass(10_000);
    expect(tab.frames[0].event).toBe("snapshot");

    // Log lines: snapshots, and use that grows with them, but nothing else on any row.
    const before = tab.rows().length;
    for (let i = 0; i < 20; i++) for (const row of rows) fake.log(row.id, `line ${i}`);
    await pass(40_000);
    expect(tab.rows().length - before).toBe(0);
    // The use (written every 30 s while it runs) goes out with the cost samples instead, for everyone at once.
    rt.room.publishCost();
    const usage = tab.frames.filter((f) => f.event === "usage").at(-1);
    expect(usage?.event === "usage" && usage.data.byAttendee[rows[0].attendeeId]).toBeGreaterThanOrEqual(10);

    // The positive control: a task Fargate stops changes Fay's row, and the row goes out.
    const worker = (await fake.describe(providerRef(rows[0]))).tasks.find((t) => t.role === "worker")!;
    fake.stopTask(rows[0].id, worker.id, "Spot interruption: the task was interrupted.");
    await pass(5_000);
    const changed = tab.rows().slice(before);
    expect(changed.map((r) => r.attendeeId)).toEqual([rows[0].attendeeId]);
    expect(changed[0].lastError).toContain("Spot interruption");
    rt.stop();
  });

  it("sends a facilitator who opens the room each row once, in the greeting, and again only when it changes", async () => {
    const { fake, rt, rows } = await runningRoom(["Nia", "Oz", "Pia"]);
    await rt.start();
    await pass(10_000);
    const tab = facilitatorTab();
    rt.room.subscribe(tab.sink, null);
    expect(tab.frames[0].event === "snapshot" && tab.frames[0].data.rows).toHaveLength(3);
    // Following the room polls every environment again; what those polls find is what the greeting held.
    await pass(30_000);
    expect(tab.rows()).toEqual([]);
    const worker = (await fake.describe(providerRef(rows[1])).then((s) => s.tasks)).find((t) => t.role === "worker")!;
    fake.stopTask(rows[1].id, worker.id, "Spot interruption: the task was interrupted.");
    await pass(5_000);
    expect(tab.rows().map((r) => r.attendeeId)).toEqual([rows[1].attendeeId]);
    rt.stop();
  });

  it("gives a tab that reconnects the rows that changed while no tab was open", async () => {
    const { rt } = await runningRoom(["Quin"]);
    // Rui has no environment yet, so no poll of one will bring his row up to date.
    const rui = attendee("Rui");
    await rt.start();
    const first = facilitatorTab();
    const leave = rt.room.subscribe(first.sink, null);
    await pass(10_000);
    const lastSeen = first.frames.at(-1)!.id;
    leave();
    // He opens a lab while the facilitator's only tab is away (a laptop asleep, a dropped connection).
    setCurrentLab(rui.id, "lab-2");
    rt.signal.attendeeChanged(rui.id);
    await pass(10_000);
    const back = facilitatorTab();
    rt.room.subscribe(back.sink, lastSeen);
    await pass(5_000);
    expect(back.frames.some((f) => f.event === "snapshot")).toBe(false);
    expect(back.rows().find((r) => r.attendeeId === rui.id)?.currentLab).toBe("lab-2");
    rt.stop();
  });

  it("shows each attendee's cluster progress from their scheduler's newest progress line, and warns of an image built from other pins", async () => {
    const { fake, rt, rows } = await runningRoom(["Lea", "Max"]);
    const tab = facilitatorTab();
    rt.room.subscribe(tab.sink, null);
    await pass(10_000);
    const ours = createHash("sha256").update(fs.readFileSync("docker/requirements.txt")).digest("hex").slice(0, 12);
    const line = (tasks: number, bytes: number, pins: string) =>
      `2026-12-01 09:14:03,512 - distributed.workshop_progress - INFO - dask-workshop-progress {"v":1,"tasks":${tasks},"bytes":${bytes},"workers":2,"pins":"${pins}"}`;
    fake.log(rows[0].id, line(10, 0, ours));
    fake.log(rows[0].id, line(1520, 3 * 1024 ** 3, ours));
    fake.log(rows[1].id, line(5, 0, "ffffffffffff"));
    await pass(40_000);
    const newest = (id: string) => tab.rows().filter((r) => r.attendeeId === id).at(-1);
    expect(newest(rows[0].attendeeId)).toMatchObject({ progress: { tasks: 1520, bytes: 3 * 1024 ** 3, workers: 2 }, otherPins: null });
    expect(newest(rows[1].attendeeId)).toMatchObject({ progress: { tasks: 5, bytes: 0, workers: 2 }, otherPins: "ffffffffffff" });
    // A page opened now reads the same from the store.
    expect(rt.room.view().rows.find((r) => r.attendeeId === rows[1].attendeeId)?.otherPins).toBe("ffffffffffff");
    rt.stop();
  });

  it("follows every live environment while a facilitator watches, at no extra cost per facilitator tab", async () => {
    const { fake, rt } = await runningRoom(["Hal", "Ivy", "Jo"]);
    const one = facilitatorTab();
    rt.room.subscribe(one.sink, null);
    await pass(30_000);
    const withOne = fake.callCount("describe");
    rt.room.subscribe(facilitatorTab().sink, null);
    rt.room.subscribe(facilitatorTab().sink, null);
    await pass(30_000);
    expect(withOne).toBeGreaterThanOrEqual(3 * 3);
    expect(fake.callCount("describe") - withOne).toBeLessThanOrEqual(withOne + 3);
  });

  it("carries the help queue and announcements", async () => {
    const { rt } = await runningRoom(["Kim"]);
    const tab = facilitatorTab();
    rt.room.subscribe(tab.sink, null);
    const kim = { id: attendee("Kim").id, role: "attendee" as const };
    const request = requestHelp(rt, kim, "my workers <b>vanished</b>");
    announce(rt.signal, { id: "facilitator", role: "facilitator" }, "Coffee in the back");
    const help = tab.frames.filter((f) => f.event === "help").at(-1);
    expect(help?.event === "help" && help.data.queue.map((h) => h.message)).toEqual(["my workers <b>vanished</b>"]);
    expect(tab.frames.some((f) => f.event === "announcement" && f.data.message === "Coffee in the back")).toBe(true);
    updateHelp(rt.signal, { id: "facilitator", role: "facilitator" }, request.id, "resolved");
    const after = tab.frames.filter((f) => f.event === "help").at(-1);
    expect(after?.event === "help" && after.data.queue).toEqual([]);
  });
});

describe("the attendees' channel", () => {
  it("greets each page with the event and its own help request, and tells only that attendee about their help", async () => {
    const { rt } = await runningRoom([]);
    const ada = attendee("Ada");
    const bob = attendee("Bob");
    const frames = { ada: [] as FrameOf<AttendeeEvents>[], bob: [] as FrameOf<AttendeeEvents>[] };
    for (const who of ["ada", "bob"] as const) {
      rt.attendees.subscribe({ key: who === "ada" ? ada.id : bob.id, send: (f) => frames[who].push(f) > 0, close: () => {} }, null);
    }
    expect(frames.ada[0]).toMatchObject({ event: "hello", data: { help: null, event: { name: "Dask on AWS ECS workshop" } } });
    const request = requestHelp(rt, { id: ada.id, role: "attendee" }, "");
    updateHelp(rt.signal, { id: "facilitator", role: "facilitator" }, request.id, "coming");
    announce(rt.signal, { id: "facilitator", role: "facilitator" }, "Ten minutes left");
    expect(frames.ada.filter((f) => f.event === "help").map((f) => f.data)).toEqual([
      { id: request.id, status: "open" },
      { id: request.id, status: "coming" },
    ]);
    expect(frames.bob.filter((f) => f.event === "help")).toEqual([]);
    for (const who of ["ada", "bob"] as const) expect(frames[who].some((f) => f.event === "announcement")).toBe(true);
  });
});
