import { spawn } from "node:child_process";
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { privateMiBOf } from "./processes";

// A worker's memory limit counts what the worker holds of its own, not what it shares with
// the interpreter it was forked from (the zygote's imported modules).

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/** A Python parent holding `sharedMiB` of touched memory, forked once; the child's pid, once it has its own `ownMiB` too. */
async function forkedChild(sharedMiB: number, ownMiB: number): Promise<number> {
  const code = [
    "import os, sys, time",
    `shared = b'x' * (${sharedMiB} * 2**20)`,
    "pid = os.fork()",
    "if pid == 0:",
    `    own = bytearray(b'y' * (${ownMiB} * 2**20))`,
    "    print(os.getpid(), flush=True)",
    "    time.sleep(120)",
    "    os._exit(0)",
    "time.sleep(120)",
  ].join("\n");
  const parent = spawn("python3", ["-c", code], { stdio: ["ignore", "pipe", "inherit"], detached: true });
  children.push(parent.pid!);
  return new Promise((resolve, reject) => {
    parent.stdout.once("data", (d) => resolve(Number(String(d).trim())));
    parent.once("exit", (c) => reject(new Error(`python exited ${c}`)));
  });
}

const vmRssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

describe("a task's own memory", () => {
  it("leaves out what a forked task shares with its parent and counts what it allocated itself", async () => {
    const child = await forkedChild(300, 100);
    // The resident set counts the parent's 300 MiB again in the child; the child's own is its 100 MiB.
    expect(vmRssMiB(child)).toBeGreaterThan(380);
    const own = privateMiBOf(child)!;
    expect(own).toBeGreaterThan(95);
    expect(own).toBeLessThan(200);
  }, 60_000);

  it("is null for a process that is gone", () => {
    expect(privateMiBOf(2 ** 22 + 12345)).toBeNull();
  });
});
