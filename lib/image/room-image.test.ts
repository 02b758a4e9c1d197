import { describe, expect, it, vi } from "vitest";
import { listAudit } from "@/lib/db/audit-queries";
import { deployEnvironment } from "@/lib/environments";
import { FakeRoomImage } from "@/lib/providers/fake/room-image";
import type { ImageBuildLogLine, ImageBuildView } from "@/lib/providers/contract";
import { attendee, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { ImageBuildChannel } from "./build-channel";
import { buildOutcome, pinsWarning } from "./words";

// The room's image with the fake provider: deploys wait for it (with a message saying what
// to do), the build action starts one build however often it is pressed while one runs,
// and the build stream greets a late page with the build so far.

// Who is signed in and the runtime exist only inside a running Next.js server: here the
// facilitator and a runtime over the fake provider (as in lib/security/actions-fuzz.test.ts).
const current = vi.hoisted(() => ({ rt: null as unknown }));
vi.mock("@/lib/auth/session", async () => {
  const { requireRole } = await import("@/lib/auth/roles");
  const viewer = { id: "facilitator", role: "facilitator" as const, name: "Facilitator" };
  const requireViewer = async (role?: "attendee" | "facilitator") => requireRole(viewer, role);
  return { requireRole, requireViewer, getViewer: async () => viewer, pageViewer: requireViewer };
});
vi.mock("@/lib/runtime", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/runtime")>()),
  ready: async () => current.rt,
}));

memoryStorePerTest();

describe("deploys and the room's image", () => {
  it("refuses a deploy while the room has no image, saying what to do, and makes no environment", async () => {
    const image = new FakeRoomImage();
    const { rt, fake } = fakeRuntime({ image });
    const ada = attendee("Ada");
    await expect(deployEnvironment(rt, { id: ada.id, role: "attendee" })).rejects.toThrow(
      "Deploys wait for the room's image. No image for the room yet: press “Build the room's image” and wait for the build to succeed (or set DASK_IMAGE to an image built from docker/).",
    );
    expect(fake.calls.deploy ?? 0).toBe(0);
    expect(listAudit(10).find((r) => r.action === "deploy")).toMatchObject({ result: "error" });
  });

  it("deploys with the newest successful build once there is one", async () => {
    const image = new FakeRoomImage("abcdefabcdef");
    const { rt, fake } = fakeRuntime({ image });
    await image.startBuild();
    image.succeed();
    const ada = attendee("Ada");
    const env = await deployEnvironment(rt, { id: ada.id, role: "attendee" });
    expect(fake.deployedImages.get(env.id)).toBe("123456789012.dkr.ecr.us-west-2.amazonaws.com/fake-room:pins-abcdefabcdef");
  });
});

describe("the build action", () => {
  it("starts one build; a second press while it runs starts nothing and says so; both are audited", async () => {
    const image = new FakeRoomImage();
    const { rt } = fakeRuntime({ image });
    // The action's body, run the way defineAction runs it for the signed-in facilitator.
    current.rt = rt;
    const { buildRoomImageAction } = await import("@/app/(facilitator)/actions");
    const press = () => buildRoomImageAction();
    const first = await press();
    const second = await press();
    expect(first).toMatchObject({ ok: true, data: { started: true } });
    expect(second).toMatchObject({ ok: true, data: { started: false, message: "A build is already running (QUEUED); no new build was started. Follow it below." } });
    expect(image.starts).toBe(1);
    expect(listAudit(10).filter((r) => r.action === "image-build").map((r) => r.detail)).toEqual([
      "not started: fake-room-image:1 (pins-0123456789ab)",
      "started: fake-room-image:1 (pins-0123456789ab)",
    ]);
  });
});

type Seen = { event: string; data: unknown };
const texts = (frames: Seen[]) => frames.filter((f) => f.event === "log").map((f) => (f.data as ImageBuildLogLine).text);
const builds = (frames: Seen[]) => frames.filter((f) => f.event === "build").map((f) => f.data as ImageBuildView);

describe("the build stream", () => {
  it("greets a page that opens mid-build with the build and its lines so far, and sends the rest live", async () => {
    vi.useFakeTimers();
    try {
      const image = new FakeRoomImage();
      const channel = new ImageBuildChannel(image, { pollMs: 100, idleMs: 1_000 });
      const { build } = await image.startBuild();
      channel.follow(build);
      image.advance("PROVISIONING");
      image.log("[Container] Entering phase PROVISIONING");
      const early: Seen[] = [];
      channel.subscribe({ send: (f) => (early.push(f), true), close: () => undefined }, null);
      await vi.advanceTimersByTimeAsync(250);
      const late: Seen[] = [];
      channel.subscribe({ send: (f) => (late.push(f), true), close: () => undefined }, null);
      expect(texts(late)).toEqual(["[Container] Entering phase PROVISIONING"]);
      expect(builds(late).at(-1)?.currentPhase).toBe("PROVISIONING");
      image.advance("BUILD");
      image.log("docker build docker/");
      image.fail("COMMAND_EXECUTION_ERROR: exit status 1");
      await vi.advanceTimersByTimeAsync(250);
      const last = builds(late).at(-1)!;
      expect(buildOutcome(last)).toBe("The build failed in BUILD (FAILED): COMMAND_EXECUTION_ERROR: exit status 1");
      expect(texts(late)).toEqual(["[Container] Entering phase PROVISIONING", "docker build docker/"]);
      channel.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the pins warning", () => {
  it("is silent when the pins match and says what to do when they differ", async () => {
    const image = new FakeRoomImage("0123456789ab");
    await image.startBuild();
    image.succeed();
    expect(pinsWarning(await image.current())).toBeNull();
    image.portalPins = "ba9876543210";
    expect(pinsWarning(await image.current())).toBe(
      "The room's image was built from other pins (pins-0123456789ab) than this portal's docker/requirements.txt (pins-ba9876543210): workers would not match the notebook's packages. Press “Build the room's image” to build one from this checkout's docker/; deploys after it succeeds use the new image.",
    );
  });
});
