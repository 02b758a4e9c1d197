import { describe, expect, it } from "vitest";
import { capsWords, outOfMemoryWords } from "./caps-words";

// What an attendee reads about their environment's caps, and after the memory cap stopped something.

const caps = { memoryMiB: 5120, cpus: 2, workerMemoryMiB: 2048, notebookMemoryMiB: 1024 };
const at = () => "10:42";

describe("the caps in words", () => {
  it("say what the environment may use and what that is made of", () => {
    expect(capsWords(caps, 2)).toBe("Your environment may use up to 5.0 GiB of memory (2 workers × 2.0 GiB, and 1.0 GiB for the scheduler, JupyterLab and your kernels) and 2 CPUs.");
    expect(capsWords({ ...caps, cpus: 1 }, 1)).toContain("(1 worker × 2.0 GiB");
    expect(outOfMemoryWords(caps, at)).toBeNull();
  });

  it("say, when the cap stopped the kernel, that the cluster runs on, how to stay under it, and which setting gives the notebook more", () => {
    const words = outOfMemoryWords({ ...caps, outOfMemory: { at: "2026-12-06T10:42:00Z", stopped: "kernel" } }, at)!;
    expect(words).toMatch(/^At 10:42 your notebook's kernel .* memory cap of 5\.0 GiB\. Your cluster and JupyterLab kept running\. Restart the kernel/);
    expect(words).toContain("PORTAL_LOCAL_NOTEBOOK_MEMORY");
  });

  it("name the worker it stopped, in ECS's words, and the setting that gives workers more", () => {
    const words = outOfMemoryWords({ ...caps, outOfMemory: { at: "2026-12-06T10:42:00Z", stopped: "task", taskId: "worker-3" } }, at)!;
    expect(words).toMatch(/^At 10:42 task worker-3 was stopped \(OutOfMemoryError\)/);
    expect(words).toContain("PORTAL_LOCAL_WORKER_MEMORY");
    expect(words).toContain("your environment reached its memory cap of 5.0 GiB");
  });

  it("say, when a worker went past its own limit, that limit rather than the environment's cap", () => {
    const words = outOfMemoryWords({ ...caps, outOfMemory: { at: "2026-12-06T10:42:00Z", stopped: "task", taskId: "worker-2", limit: "worker" } }, at)!;
    expect(words).toMatch(/^At 10:42 task worker-2 was stopped \(OutOfMemoryError\): it held more than a worker's 2\.0 GiB\. /);
    expect(words).not.toContain("5.0 GiB");
  });
});
