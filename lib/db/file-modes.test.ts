// The store on disk holds attendees' names and emails: nobody else on the machine may read it,
// whatever the umask the portal was started with, and a store made too open before is fixed.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDb } from "./index";

const mode = (p: string) => fs.statSync(p).mode & 0o777;
let tmp: string;
let umask: number;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "portal-modes-"));
  // The most open umask there is: the modes must not depend on it.
  umask = process.umask(0);
});
afterEach(() => {
  process.umask(umask);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens the store (creating or upgrading it), writes to it so the WAL exists, and says what each file's mode is. */
function openAndWrite(file: string) {
  const { sqlite } = openDb(file);
  sqlite.pragma("user_version = 2");
  const modes = { folder: mode(path.dirname(file)), db: mode(file), wal: mode(`${file}-wal`), shm: mode(`${file}-shm`) };
  sqlite.close();
  return modes;
}

describe("the store's files", () => {
  it("are the portal user's alone when the store is new: folder 0700, database, -wal and -shm 0600", () => {
    const modes = openAndWrite(path.join(tmp, "data", "portal.sqlite"));
    expect(modes).toEqual({ folder: 0o700, db: 0o600, wal: 0o600, shm: 0o600 });
  });

  it("are made private again when an older portal left them readable by everyone", () => {
    const dir = path.join(tmp, "data");
    const file = path.join(dir, "portal.sqlite");
    openAndWrite(file);
    // What the portal used to leave behind: 0755 and 0644, with a WAL still in use by another connection.
    const leftover = new Database(file);
    leftover.pragma("wal_autocheckpoint = 0");
    leftover.pragma("user_version = 1");
    fs.chmodSync(dir, 0o755);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.chmodSync(f, 0o644);

    const modes = openAndWrite(file);
    leftover.close();
    expect(modes).toEqual({ folder: 0o700, db: 0o600, wal: 0o600, shm: 0o600 });
  });
});
