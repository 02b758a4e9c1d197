// The store kept safe, on real files: copies made while the portal writes, a restored copy
// that a portal reads exactly as it left it (attendees, return codes, audit log, streams),
// and failures that are shown and audited while the store stays as it was.
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { peerHeader, TrustedProxies } from "@/lib/auth/client-address";
import { pendingReturnCode } from "@/lib/auth/reveal";
import { SignInGate } from "@/lib/auth/sign-in";
import { getSqlite, migrationsFolder, openDb, storeFile, useStore } from "@/lib/db";
import { listAudit } from "@/lib/db/audit-queries";
import { knownMigrations } from "@/lib/db/schema-version";
import { appendStreamEvent, streamEventsAfter } from "@/lib/db/stream-queries";
import { copyStore, listBackups } from "./copy";
import { BackupKeeper } from "./keeper";
import { restoreStore } from "./restore";

const secrets = { joinCode: "DASK-ROOM-CODE", facilitatorPassword: "facilitator-pass", sessionSecret: "s".repeat(32) };
const from = (address: string) => (name: string) => ({ [peerHeader]: address, "user-agent": "Firefox/140" })[name];
const facilitator = { id: "facilitator", role: "facilitator" as const };
const config = { everyMs: 5 * 60_000, kept: 3 };

let tmp: string;
let dataDir: string;
let closeStore: () => void;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "portal-backup-"));
  dataDir = path.join(tmp, "data");
  closeStore = useStore(openDb(storeFile(dataDir)));
});

afterEach(() => {
  closeStore();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A room as the portal leaves it: two attendees who joined, a stream of 50 events, the audit of it all. */
function aRoom() {
  const gate = new SignInGate(new TrustedProxies([]));
  const ada = gate.attendee({ name: "Ada", email: "ada@example.org", code: secrets.joinCode }, from("192.0.2.1"), secrets);
  const bob = gate.attendee({ name: "Bob", email: "bob@example.org", code: secrets.joinCode }, from("192.0.2.2"), secrets);
  for (let seq = 1; seq <= 50; seq++) appendStreamEvent("env-ada", seq, "log", JSON.stringify({ text: `line ${seq}` }));
  return { ada: { id: ada.id, code: pendingReturnCode(ada.id)! }, bob: { id: bob.id, code: pendingReturnCode(bob.id)! } };
}

function keeper(overrides: Partial<ConstructorParameters<typeof BackupKeeper>[0]> = {}) {
  return new BackupKeeper({ config, dataDir, sqlite: getSqlite, ...overrides });
}

/** The store's rows, the audit log (and its counter) aside, as one comparable value. */
function contents(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'audit_log' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]));
  } finally {
    db.close();
  }
}

describe("copies on this machine", () => {
  it("copies the store while it is being written, keeps the newest few, and each copy opens whole", async () => {
    aRoom();
    const writer = new Database(storeFile(dataDir));
    const dir = path.join(dataDir, "backups");
    for (let minute = 0; minute < 5; minute++) {
      const copying = copyStore(writer, dir, new Date(Date.UTC(2026, 2, 1, 9, minute)), 3);
      // The portal goes on writing while the copy is made.
      writer.prepare("INSERT INTO stream_events (env_id, seq, event, data, at) VALUES ('env-bob', ?, 'log', '{}', 'now')").run(minute);
      await copying;
    }
    writer.close();
    const copies = listBackups(dir);
    expect(copies.map((c) => c.name)).toEqual(["portal-20260301T090400Z.sqlite", "portal-20260301T090300Z.sqlite", "portal-20260301T090200Z.sqlite"]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(".partial"))).toEqual([]);
    for (const copy of copies) {
      expect(fs.statSync(copy.file).mode & 0o777).toBe(0o600);
      const db = new Database(copy.file, { readonly: true });
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      expect((db.prepare("SELECT COUNT(*) AS n FROM attendees").get() as { n: number }).n).toBe(2);
      db.close();
    }
  });

  it("clears what a copy interrupted by a crash left behind once the next copy is made", async () => {
    aRoom();
    const folder = path.join(dataDir, "backups");
    fs.mkdirSync(folder, { recursive: true });
    const leftovers = ["portal-20260101T000000Z.sqlite.partial", "portal-20260101T000000Z.sqlite.partial-journal"];
    for (const name of leftovers) fs.writeFileSync(path.join(folder, name), "half a copy");
    const { copy } = await keeper().backUpNow(facilitator);
    expect(fs.readdirSync(folder).sort()).toEqual([copy.name]);
  });

  it("says why a copy failed, shows it to the facilitator, audits it, and leaves the store as it was", async () => {
    aRoom();
    const before = contents(storeFile(dataDir));
    // The backups folder's name is taken by a file: nothing can be written there.
    fs.writeFileSync(path.join(dataDir, "backups"), "not a folder");
    const k = keeper();
    await expect(k.backUpNow(facilitator)).rejects.toThrow(/^The backup to .*\/backups failed: .*is not a folder the portal can write to.*The store itself is unchanged\.$/);
    expect(k.status().failure?.message).toMatch(/is not a folder the portal can write to/);
    expect(listAudit()[0]).toMatchObject({ action: "backup", actorId: "facilitator", result: "error", detail: expect.stringMatching(/not a folder/) });
    // The timer's copies fail too: audited as the portal's own, once while the reason stays the same.
    const failing = keeper();
    for (let tick = 0; tick < 3; tick++) await failing.scheduled();
    expect(listAudit().filter((e) => e.actorId === "portal")).toEqual([expect.objectContaining({ action: "backup", result: "error" })]);
    expect(contents(storeFile(dataDir))).toBe(before);

    // Once the folder is usable again, the next copy works and the failure no longer shows.
    fs.rmSync(path.join(dataDir, "backups"));
    const { copy } = await k.backUpNow(facilitator);
    expect(k.status()).toMatchObject({ failure: null, copies: [{ name: copy.name }] });
    expect(listAudit()[0]).toMatchObject({ action: "backup", result: "ok", detail: expect.stringContaining(copy.name) });
  });

  it("at the event's end tries a bucket that refuses no more often than a copy is made, never twice at once, and with the same copy", async () => {
    aRoom();
    let clock = Date.parse("2026-12-07T18:00:00Z");
    const ended = new Date(clock).toISOString();
    // A bucket on loopback that refuses every upload as S3 does, and counts them.
    let puts = 0;
    const bucket = http.createServer((req, res) => {
      puts++;
      req.resume();
      res.writeHead(403, { "content-type": "application/xml" });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
    });
    await new Promise<void>((resolve) => bucket.listen(0, "127.0.0.1", resolve));
    const { port } = bucket.address() as { port: number };
    const refusing = () => new S3Client({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
    const k = keeper({ config: { ...config, bucket: "room-backups" }, client: refusing, now: () => new Date(clock) });
    const uploads = () => listAudit().filter((e) => e.action === "backup" && e.target === "s3://room-backups");
    // The event-end timer's ticks overlap while the first try runs, and come every few seconds after.
    await Promise.all([k.atEventEnd(ended), k.atEventEnd(ended)]);
    clock += 15_000;
    await k.atEventEnd(ended);
    expect(uploads()).toEqual([expect.objectContaining({ actorId: "portal", result: "error" })]);
    expect(k.status().failure?.message).toBeTruthy();
    // A copy's interval later it tries again, sending the copy it made the first time.
    clock += config.everyMs;
    await k.atEventEnd(ended);
    expect(uploads()).toHaveLength(2);
    expect(puts).toBe(2);
    expect(listBackups(k.folder)).toHaveLength(1);
    bucket.close();
  });

  it("fails on a full disk with the reason, keeps no partial copy, and the store stays as it was", async () => {
    aRoom();
    const before = contents(storeFile(dataDir));
    const at = new Date(Date.UTC(2026, 2, 1, 9, 30));
    const backups = path.join(dataDir, "backups");
    fs.mkdirSync(backups, { mode: 0o700 });
    // The copy being written lands on a device that is always full: every write to it fails
    // with ENOSPC from the kernel, as on a disk with no space left.
    fs.symlinkSync("/dev/full", path.join(backups, "portal-20260301T093000Z.sqlite.partial"));
    const k = keeper({ now: () => at });
    await expect(k.backUpNow(facilitator)).rejects.toThrow(/^The backup to .*\/backups failed: the disk holding .*\/backups is full \(.*\); free space there, then back up again\. The store itself is unchanged\.$/);
    expect(fs.readdirSync(backups)).toEqual([]);
    expect(k.status()).toMatchObject({ copies: [], failure: { at: at.toISOString(), message: expect.stringMatching(/is full/) } });
    expect(listAudit()[0]).toMatchObject({ action: "backup", actorId: "facilitator", result: "error", detail: expect.stringMatching(/is full/) });
    expect(contents(storeFile(dataDir))).toBe(before);
  });
});

describe("the restore command", () => {
  const repo = path.resolve(__dirname, "../..");
  // Asynchronous, so a server in this test process can answer the command meanwhile.
  const restoreCommand = (source: string, env: Record<string, string>) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile("node", ["--conditions=react-server", "--import", "tsx", "scripts/restore.ts", source], { cwd: repo, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
        resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });

  it("restores a copy into the configured data folder and says where the old store went", async () => {
    aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const target = path.join(tmp, "target");
    openDb(storeFile(target)).sqlite.close();
    const run = await restoreCommand(copy.file, { PORTAL_DATA_DIR: target, PORT: "1" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(new RegExp(`^Restored ${copy.file} into ${target} \\(schema version \\d+\\)\\. The store that was there is kept as ${target}/backups/before-restore-\\d{8}T\\d{6}Z\\.sqlite\\.`));
    expect(run.status).toBe(0);
    expect(contents(storeFile(target))).toBe(contents(copy.file));
  });

  it("refuses while a portal answers on the configured port, and changes nothing", async () => {
    aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const portal = http.createServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => portal.listen(0, "127.0.0.1", resolve));
    const port = (portal.address() as { port: number }).port;
    const target = path.join(tmp, "target");
    try {
      const run = await restoreCommand(copy.file, { PORTAL_DATA_DIR: target, PORT: String(port) });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`The portal answers on port ${port}: stop it first (systemctl stop dask-portal), then restore.`);
    } finally {
      portal.close();
    }
    expect(fs.existsSync(target)).toBe(false);
  });
});

describe("restoring a copy", () => {
  it("gives a portal started on it the same attendees, return codes, audit log and streams", async () => {
    const room = aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const auditBefore = listAudit();
    const streamBefore = streamEventsAfter("env-ada", 0);

    // Another machine: an empty data folder, the copy restored into it, the portal's store opened there.
    const elsewhere = path.join(tmp, "elsewhere");
    const restored = await restoreStore(copy.file, elsewhere);
    expect(restored).toEqual({ version: knownMigrations(migrationsFolder).length, previous: null });
    closeStore();
    closeStore = useStore(openDb(storeFile(elsewhere)));

    // The audit log is the copy's (the backup's own entry came after the copy was taken).
    expect(listAudit()).toEqual(auditBefore.slice(1));
    expect(streamEventsAfter("env-ada", 0)).toEqual(streamBefore);
    // A browser resuming after event 30 (Last-Event-ID) gets 31 to 50, once each.
    expect(streamEventsAfter("env-ada", 30).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 31 + i));
    // Each attendee signs in again with their own return code, as the same attendee; a wrong code is refused.
    const gate = new SignInGate(new TrustedProxies([]));
    expect(gate.attendee({ name: "Ada", email: "ada@example.org", code: secrets.joinCode, returnCode: room.ada.code }, from("192.0.2.1"), secrets).id).toBe(room.ada.id);
    expect(gate.attendee({ name: "Bob", email: "bob@example.org", code: secrets.joinCode, returnCode: room.bob.code }, from("192.0.2.2"), secrets).id).toBe(room.bob.id);
    expect(() => gate.attendee({ name: "Bob", email: "bob@example.org", code: secrets.joinCode, returnCode: room.ada.code }, from("192.0.2.2"), secrets)).toThrow(
      /return code is not right/,
    );
  });

  it("keeps the store it replaces", async () => {
    aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const target = path.join(tmp, "target");
    const other = openDb(storeFile(target));
    other.sqlite.prepare("INSERT INTO announcements (message, created_at) VALUES ('from the replaced store', 'now')").run();
    other.sqlite.close();
    const restored = await restoreStore(copy.file, target, new Date(Date.UTC(2026, 2, 1, 12)));
    expect(restored.previous).toBe(path.join(target, "backups", "before-restore-20260301T120000Z.sqlite"));
    const kept = new Database(restored.previous!, { readonly: true });
    expect(kept.prepare("SELECT message FROM announcements").all()).toEqual([{ message: "from the replaced store" }]);
    kept.close();
    expect(contents(storeFile(target))).toBe(contents(copy.file));
  });

  it("restores over a store that is no longer a database, and keeps its bytes as they were", async () => {
    aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const target = path.join(tmp, "target");
    fs.mkdirSync(target, { recursive: true });
    // A disk fault, or a bad file put in its place by hand: not a SQLite database at all.
    const garbage = Buffer.from("this was a portal store once".repeat(200));
    fs.writeFileSync(storeFile(target), garbage);
    const restored = await restoreStore(copy.file, target, new Date(Date.UTC(2026, 2, 1, 12)));
    expect(restored.previous).toBe(path.join(target, "backups", "before-restore-20260301T120000Z.sqlite"));
    expect(fs.readFileSync(restored.previous!).equals(garbage)).toBe(true);
    expect(fs.statSync(restored.previous!).mode & 0o777).toBe(0o600);
    expect(contents(storeFile(target))).toBe(contents(copy.file));
    expect(fs.readdirSync(target).filter((f) => f.endsWith(".restoring"))).toEqual([]);
  });

  it("refuses a copy made by a newer portal, naming both versions, and changes nothing", async () => {
    aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const newest = knownMigrations(migrationsFolder).at(-1)!;
    const newer = new Database(copy.file);
    newer.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-a-newer-portal', ?)").run(Date.UTC(2030, 0, 2));
    newer.close();
    const target = path.join(tmp, "target");
    openDb(storeFile(target)).sqlite.close();
    const before = contents(storeFile(target));
    const known = knownMigrations(migrationsFolder).length;
    await expect(restoreStore(copy.file, target)).rejects.toThrow(
      `The backup ${copy.file} was written by a newer portal: its store is at schema version ${known + 1} (newest migration generated 2030-01-02), ` +
        `and this portal knows versions up to ${known} (${newest.tag}, generated ${new Date(newest.when).toISOString().slice(0, 10)}). ` +
        "Use a portal at that version or later. Nothing was restored.",
    );
    expect(contents(storeFile(target))).toBe(before);
    expect(fs.existsSync(path.join(target, "backups"))).toBe(false);
  });

  it("keeps a portal from starting on a store a newer portal wrote (a downgrade), naming both versions", async () => {
    aRoom();
    const { copy } = await keeper().backUpNow(facilitator);
    const newer = new Database(copy.file);
    newer.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-a-newer-portal', ?)").run(Date.UTC(2030, 0, 2));
    newer.close();
    expect(() => openDb(copy.file)).toThrow(`The store ${copy.file} was written by a newer portal: its store is at schema version ${knownMigrations(migrationsFolder).length + 1}`);
  });

  it("refuses what is not a whole portal store", async () => {
    const text = path.join(tmp, "notes.txt");
    fs.writeFileSync(text, "not a database at all, just some words that are long enough to be read as a header");
    await expect(restoreStore(text, path.join(tmp, "t1"))).rejects.toThrow(/cannot be read as a SQLite database/);
    const other = path.join(tmp, "other.sqlite");
    new Database(other).exec("CREATE TABLE t (x)").close();
    await expect(restoreStore(other, path.join(tmp, "t2"))).rejects.toThrow(/is a SQLite database, but not a portal store/);
    await expect(restoreStore(path.join(tmp, "missing.sqlite"), path.join(tmp, "t3"))).rejects.toThrow(/cannot be read as a SQLite database/);
    expect(fs.existsSync(path.join(tmp, "t1"))).toBe(false);
  });
});
