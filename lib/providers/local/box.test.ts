import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isOwnSocket, openPlainFile, readPlainFile } from "./box";
import { readNewLines } from "./log-tail";

// The box is written by the attendee's code; what the portal opens there must be what it
// seems. Each case plants what a kernel could (a link to a secret, a FIFO, a link to a
// socket) and checks the portal reads nothing through it.

function plant() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "box-"));
  const secret = path.join(dir, "secrets.json");
  fs.writeFileSync(secret, '{\n  "NEXTAUTH_SECRET": "not-for-attendees"\n}\n');
  const box = path.join(dir, "box");
  fs.mkdirSync(box);
  return { dir, secret, box };
}

describe("files the portal opens in an environment's box", () => {
  it("are never read through a link: a log planted as a link to the portal's secrets gives no lines", () => {
    const { secret, box } = plant();
    const log = path.join(box, "worker-7.log");
    fs.symlinkSync(secret, log);
    expect(readNewLines(log, 0)).toEqual({ lines: [], next: 0 });
    expect(readPlainFile(log)).toBeUndefined();
    expect(() => openPlainFile(log, "read")).toThrow();
  });

  it("are never written through a link: appending to a planted link leaves its target as it was", () => {
    const { secret, box } = plant();
    const before = fs.readFileSync(secret, "utf8");
    const log = path.join(box, "state.json.tmp");
    fs.symlinkSync(secret, log);
    expect(() => openPlainFile(log, "append")).toThrow();
    expect(fs.readFileSync(secret, "utf8")).toBe(before);
  });

  it("are refused when they are not plain files, without waiting on a FIFO that nobody writes", () => {
    const { box } = plant();
    const fifo = path.join(box, "worker-8.log");
    execFileSync("mkfifo", [fifo]);
    expect(() => openPlainFile(fifo, "read")).toThrow(/not a plain file/);
    expect(readNewLines(fifo, 0)).toEqual({ lines: [], next: 0 });
    expect(() => openPlainFile(box, "read")).toThrow();
  });

  it("are read and appended to as before when they are plain files", () => {
    const { box } = plant();
    const log = path.join(box, "scheduler-1.log");
    const fd = openPlainFile(log, "append");
    fs.writeSync(fd, "Scheduler at: tls://127.0.0.1:1\n");
    fs.closeSync(fd);
    expect(readNewLines(log, 0).lines.map((l) => l.text)).toEqual(["Scheduler at: tls://127.0.0.1:1"]);
    expect(readPlainFile(log)).toBe("Scheduler at: tls://127.0.0.1:1\n");
  });

  it("count as a server's socket only when they are the socket itself, not a link to another one", async () => {
    const { dir, box } = plant();
    const other = path.join(dir, "other-dashboard.sock");
    const server = net.createServer().listen(other);
    await new Promise((r) => server.once("listening", r));
    try {
      const planted = path.join(box, "dashboard.sock");
      fs.symlinkSync(other, planted);
      expect(isOwnSocket(other)).toBe(true);
      expect(isOwnSocket(planted)).toBe(false);
      expect(isOwnSocket(path.join(box, "missing.sock"))).toBe(false);
    } finally {
      server.close();
    }
  });
});
