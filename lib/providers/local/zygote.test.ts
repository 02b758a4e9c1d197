import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requestTask, type TaskRequest } from "./zygote";

// While an environment's zygote imports Dask, the tasks asked of it wait for its socket: in a
// room deployed at once, many zygotes import together, and asking each one 20 times a second
// only takes the portal's share of the cores they need.

const request: TaskRequest = { role: "worker", args: [], env: {}, log: "/dev/null", exit: "/dev/null", cwd: "/" };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function socketDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zygote-ask-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Listens on `socketPath` as the zygote does, answering every request with `pid`. */
function zygoteListening(socketPath: string, pid: number): void {
  const server = net.createServer((conn) => conn.once("data", () => conn.end(`${JSON.stringify({ pid })}\n`)));
  server.listen(socketPath);
  cleanups.push(() => server.close());
}

/** Counts the connections this test makes (net.connect, put back after it). */
function countConnects(): () => number {
  const original = net.connect;
  let connects = 0;
  cleanups.push(() => Object.assign(net, { connect: original }));
  Object.assign(net, {
    connect: (...args: Parameters<typeof net.connect>) => {
      connects++;
      return original(...args);
    },
  });
  return () => connects;
}

describe("asking a zygote for a task", () => {
  it("is answered as soon as the zygote's socket appears, however long it imported first", async () => {
    const socketPath = path.join(socketDir(), "tasks.sock");
    setTimeout(() => zygoteListening(socketPath, 42), 1500);
    // (How soon after is the bench's to measure: bench/local-room.)
    const pid = await requestTask(socketPath, request, { deadline: Date.now() + 10_000, alive: () => true });
    expect(pid).toBe(42);
  });

  it("backs off while the socket refuses, until the deadline", async () => {
    const socketPath = path.join(socketDir(), "tasks.sock");
    // A socket that no one listens on any more (bound, then left behind): every connection is refused.
    execFileSync("python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socketPath]);
    const connects = countConnects();
    const started = Date.now();
    await expect(requestTask(socketPath, request, { deadline: started + 3000, alive: () => true })).rejects.toThrow(/not ready in time/);
    // At a fixed 50 ms it would have asked about 60 times in 3 s.
    expect(connects()).toBeGreaterThan(3);
    expect(connects()).toBeLessThan(20);
  });

  it("never asks through a link put where its socket should be, and does not spin on it", async () => {
    const dir = socketDir();
    const other = path.join(dir, "another-zygote.sock");
    let asked = 0;
    const server = net.createServer((conn) => {
      asked++;
      conn.end(`${JSON.stringify({ pid: 7 })}\n`);
    });
    server.listen(other);
    cleanups.push(() => server.close());
    const socketPath = path.join(dir, "tasks.sock");
    fs.symlinkSync(other, socketPath);
    const connects = countConnects();
    let checks = 0;
    await expect(requestTask(socketPath, request, { deadline: Date.now() + 2000, alive: () => (checks++, true) })).rejects.toThrow(/not ready in time/);
    expect([asked, connects()]).toEqual([0, 0]);
    // Waited between looks as for a socket not there yet, not in a tight loop (at 50 ms doubling to 800 ms: a handful).
    expect(checks).toBeLessThan(20);
  });

  it("waits its turn when the zygote's queue of connections is full, as a room asking the seed at once fills it", async () => {
    const socketPath = path.join(socketDir(), "seed.sock");
    // Room for two waiting connections, and none accepted for a second: the rest are refused
    // with EAGAIN until it answers, one at a time.
    const script = [
      "import socket, sys, time",
      "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)",
      "time.sleep(1)",
      "n = 0",
      "while True:",
      "    c, _ = s.accept(); c.recv(65536); n += 1; c.sendall(b'{\"pid\": %d}\\n' % n); c.close()",
    ].join("\n");
    const busy = spawn("python3", ["-c", script, socketPath], { stdio: "ignore" });
    cleanups.push(() => busy.kill("SIGKILL"));
    while (!fs.existsSync(socketPath)) await new Promise((r) => setTimeout(r, 10));
    const pids = await Promise.all(Array.from({ length: 8 }, () => requestTask(socketPath, request, { deadline: Date.now() + 20_000, alive: () => true })));
    expect(pids.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("stops asking once the zygote has exited", async () => {
    const socketPath = path.join(socketDir(), "tasks.sock");
    await expect(requestTask(socketPath, request, { deadline: Date.now() + 10_000, alive: () => false })).rejects.toThrow(/exited before it was ready/);
  });
});
