import "server-only";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { portalConfig, repoPath } from "@/lib/config";
import * as schema from "./schema";
import { newerSchemaReason } from "./schema-version";

export type Db = BetterSQLite3Database<typeof schema>;
export interface Store {
  db: Db;
  sqlite: Database.Database;
}

/** Generated from lib/db/schema.ts by drizzle-kit (`npm run db:generate`). */
export const migrationsFolder = repoPath("lib", "db", "migrations");

function tableExists(sqlite: Database.Database, name: string): boolean {
  return sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Stores made before the migrations were generated from the schema hold the same tables,
 * made by hand-written SQL and recorded in schema_migrations (0001_init.sql, 0002_room.sql).
 * They join the generated history as having applied its first migration, which creates
 * exactly those tables; the two unique indexes drizzle names are added under its names.
 */
function joinGeneratedHistory(sqlite: Database.Database): void {
  if (!tableExists(sqlite, "schema_migrations") || tableExists(sqlite, "__drizzle_migrations")) return;
  const applied = new Set(sqlite.prepare("SELECT name FROM schema_migrations").all().map((r) => (r as { name: string }).name));
  if (!applied.has("0002_room.sql")) {
    throw new Error("The portal's database is from a version older than this one can upgrade: move data/portal.sqlite aside and start again.");
  }
  const [first] = readMigrationFiles({ migrationsFolder });
  sqlite.transaction(() => {
    sqlite.exec("CREATE UNIQUE INDEX IF NOT EXISTS attendees_email_unique ON attendees (email)");
    sqlite.exec("CREATE UNIQUE INDEX IF NOT EXISTS environments_stack_name_unique ON environments (stack_name)");
    sqlite.exec("CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)");
    sqlite.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)").run(first.hash, first.folderMillis);
    sqlite.exec("DROP TABLE schema_migrations");
  })();
}

/**
 * The store holds attendees' names and emails: its folder is the portal's alone (0700) and
 * the database and its WAL files are readable by the portal's user only (0600). Modes are
 * set explicitly, whatever the umask, and a folder or file made too open before is fixed.
 */
function restrictFolder(file: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  // Made empty and private before SQLite opens it; SQLite gives its -wal and -shm files the database's mode.
  fs.closeSync(fs.openSync(file, "a", 0o600));
}

function restrictFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
  }
}

/** Opens (and creates or upgrades) a store; ":memory:" gives a fresh one for tests. */
export function openDb(file: string): Store {
  const onDisk = file !== ":memory:";
  if (onDisk) restrictFolder(file);
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  if (onDisk) restrictFiles(file);
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  joinGeneratedHistory(sqlite);
  // Migrations only go forward: a store from a newer portal (a downgrade, a restored copy)
  // would be read with tables this one does not know.
  const newer = newerSchemaReason(sqlite, migrationsFolder, `The store ${file}`);
  if (newer) {
    sqlite.close();
    throw new Error(newer);
  }
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder });
  return { db, sqlite };
}

// One connection per process, kept on globalThis so dev-mode reloads (and the separately
// compiled instrumentation) reuse it.
const holder = globalThis as unknown as { __portalDb?: Store };

/** The store's file in a data folder. */
export const storeFile = (dataDir: string) => path.join(dataDir, "portal.sqlite");

function store(): Store {
  holder.__portalDb ??= openDb(storeFile(portalConfig().dataDir));
  return holder.__portalDb;
}

export function getDb(): Db {
  return store().db;
}

/** The process's SQLite connection itself, for what drizzle does not do (an online backup). */
export function getSqlite(): Database.Database {
  return store().sqlite;
}

/** Runs `fn` in one SQLite transaction: the events of a poll and the cursor that produced them land together. */
export function inTransaction<T>(fn: () => T): T {
  return getDb().transaction(() => fn());
}

/**
 * Tests: makes `store` the process's store (e.g. openDb(":memory:")); the returned function
 * closes it and puts back whatever was there.
 */
export function useStore(store: Store): () => void {
  const previous = holder.__portalDb;
  holder.__portalDb = store;
  return () => {
    store.sqlite.close();
    holder.__portalDb = previous;
  };
}

export function dbStatus(): "ok" | string {
  try {
    getDb();
    holder.__portalDb!.sqlite.prepare("SELECT 1").get();
    return "ok";
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}
