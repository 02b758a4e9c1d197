import "server-only";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrationsFolder, openDb, storeFile } from "@/lib/db";
import { newerSchemaReason, storeSchema } from "@/lib/db/schema-version";
import { PortalError } from "@/lib/errors";
import { stamp } from "./copy";

export interface Restored {
  /** The schema version the restored store is at once opened (older copies are migrated forward). */
  version: number;
  /** Where the store that was there before went, if there was one. */
  previous: string | null;
}

function refuse(message: string): never {
  throw new PortalError("bad_request", message);
}

/** Opens a copy read-only and checks it is a whole portal store this portal can read. */
function openCopy(file: string): Database.Database {
  let copy: Database.Database;
  try {
    copy = new Database(file, { readonly: true, fileMustExist: true });
    copy.pragma("schema_version");
  } catch (err) {
    refuse(`${file} cannot be read as a SQLite database: ${(err as Error).message}.`);
  }
  try {
    const check = copy.pragma("quick_check", { simple: true });
    if (check !== "ok") refuse(`${file} is damaged (SQLite's quick_check says: ${String(check)}).`);
    const tables = new Set(copy.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => (r as { name: string }).name));
    if (!tables.has("__drizzle_migrations") || !tables.has("attendees")) refuse(`${file} is a SQLite database, but not a portal store.`);
    const newer = newerSchemaReason(copy, migrationsFolder, `The backup ${file}`);
    if (newer) refuse(`${newer} Nothing was restored.`);
    return copy;
  } catch (err) {
    copy.close();
    throw err;
  }
}

/**
 * Keeps the store about to be replaced at `previous`: through SQLite while it can be read as a
 * database, else its files byte for byte (a damaged store is when a restore is needed most,
 * and is no reason to refuse one).
 */
async function keepCurrent(target: string, previous: string): Promise<void> {
  let current: Database.Database | undefined;
  try {
    current = new Database(target, { fileMustExist: true });
    await current.backup(previous);
  } catch {
    current?.close();
    current = undefined;
    fs.rmSync(previous, { force: true });
    for (const suffix of ["", "-wal", "-shm"]) {
      if (fs.existsSync(`${target}${suffix}`)) fs.copyFileSync(`${target}${suffix}`, `${previous}${suffix}`);
    }
  } finally {
    current?.close();
  }
  for (const suffix of ["", "-wal", "-shm"]) if (fs.existsSync(`${previous}${suffix}`)) fs.chmodSync(`${previous}${suffix}`, 0o600);
}

/**
 * Makes `copy` the store of `dataDir`. The portal must not be running. The store that was
 * there is first copied to `<dataDir>/backups/before-restore-<time>.sqlite`; a copy that is
 * damaged, not a portal store, or from a newer portal is refused before anything changes.
 */
export async function restoreStore(copyFile: string, dataDir: string, now: Date = new Date()): Promise<Restored> {
  const copy = openCopy(copyFile);
  const target = storeFile(dataDir);
  let previous: string | null = null;
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (fs.existsSync(target)) {
      previous = path.join(dataDir, "backups", `before-restore-${stamp(now)}.sqlite`);
      fs.mkdirSync(path.dirname(previous), { recursive: true, mode: 0o700 });
      await keepCurrent(target, previous);
    }
    const incoming = `${target}.restoring`;
    try {
      await copy.backup(incoming);
    } catch (err) {
      fs.rmSync(incoming, { force: true });
      throw err;
    }
    fs.chmodSync(incoming, 0o600);
    for (const leftover of [`${target}-wal`, `${target}-shm`]) fs.rmSync(leftover, { force: true });
    fs.renameSync(incoming, target);
  } finally {
    copy.close();
  }
  const store = openDb(target);
  try {
    return { version: storeSchema(store.sqlite).version, previous };
  } finally {
    store.sqlite.close();
  }
}
