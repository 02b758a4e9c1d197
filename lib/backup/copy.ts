import "server-only";
import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { PortalError } from "@/lib/errors";

// Copies of the store on this machine, made with SQLite's online backup (better-sqlite3's
// backup()): pages are copied in steps while the portal keeps reading and writing, and the
// copy is consistent at one moment. The source is only read. A copy is written under a
// temporary name and renamed once complete, so a failed one never looks like a backup.

export interface BackupFile {
  name: string;
  file: string;
  at: string;
  bytes: number;
}

const pattern = /^portal-(\d{8}T\d{6}Z)\.sqlite$/;

/** 2026-03-01T09:30:00.000Z → 20260301T093000Z: sorts by time, safe in file names and S3 keys. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function atOf(name: string): string {
  const s = pattern.exec(name)![1];
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
}

/** The copies in `dir`, newest first. */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => pattern.test(n))
    .sort()
    .reverse()
    .flatMap((name) => {
      const file = path.join(dir, name);
      try {
        return [{ name, file, at: atOf(name), bytes: fs.statSync(file).size }];
      } catch {
        // Pruned between the listing and now.
        return [];
      }
    });
}

/** What a copy interrupted by a crash left behind: half a file no listing shows, never pruned otherwise. */
const unfinished = /^portal-\d{8}T\d{6}Z\.sqlite\.partial(-journal)?$/;

/** What a failed copy means for the facilitator, from the error SQLite or the file system gave. */
export function copyFailure(dir: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  // mkdir under a file name reports ENOTDIR or EEXIST; SQLite reports a full disk as SQLITE_FULL.
  if (e.code === "SQLITE_FULL" || e.code === "ENOSPC") return `the disk holding ${dir} is full (${e.message ?? e.code}); free space there, then back up again`;
  if (e.code === "ENOTDIR" || e.code === "EEXIST") return `${dir} is not a folder the portal can write to (${e.code}); move what is there aside`;
  if (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS") return `the portal may not write to ${dir} (${e.code})`;
  return `${e.message ?? String(err)}`;
}

/**
 * Copies the store into `dir` (made 0700 if missing), named after `at`, readable by the
 * portal's user only; keeps the newest `kept` copies. A failure leaves no partial file
 * and says why in words.
 */
export async function copyStore(sqlite: Database.Database, dir: string, at: Date, kept: number): Promise<BackupFile> {
  const name = `portal-${stamp(at)}.sqlite`;
  const file = path.join(dir, name);
  const partial = `${file}.partial`;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    await sqlite.backup(partial);
    fs.chmodSync(partial, 0o600);
    fs.renameSync(partial, file);
  } catch (err) {
    for (const leftover of [partial, `${partial}-journal`]) {
      try {
        fs.rmSync(leftover, { force: true });
      } catch {
        // Nothing was made there (the folder itself is the problem).
      }
    }
    throw new PortalError("unavailable", `The backup to ${dir} failed: ${copyFailure(dir, err)}. The store itself is unchanged.`);
  }
  for (const old of listBackups(dir).slice(kept)) fs.rmSync(old.file, { force: true });
  for (const leftover of fs.readdirSync(dir).filter((n) => unfinished.test(n))) fs.rmSync(path.join(dir, leftover), { force: true });
  return { name, file, at: atOf(name), bytes: fs.statSync(file).size };
}
