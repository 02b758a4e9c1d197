import "server-only";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { portalConfig } from "@/lib/config";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema>;

const migrationsDir = path.join(process.cwd(), "lib", "db", "migrations");

/** Applies, in name order, every migration file not yet recorded; each in its own transaction. */
export function migrate(sqlite: Database.Database): string[] {
  sqlite.exec("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
  const applied = new Set(
    sqlite.prepare("SELECT name FROM schema_migrations").all().map((r) => (r as { name: string }).name),
  );
  const pending = fs
    .readdirSync(migrationsDir)
    .filter((f) => f.endsWith(".sql") && !applied.has(f))
    .sort();
  for (const name of pending) {
    const body = fs.readFileSync(path.join(migrationsDir, name), "utf8");
    sqlite.transaction(() => {
      sqlite.exec(body);
      sqlite.prepare("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)").run(name, new Date().toISOString());
    })();
  }
  return pending;
}

export function openDb(file: string): { db: Db; sqlite: Database.Database } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  migrate(sqlite);
  return { db: drizzle(sqlite, { schema }), sqlite };
}

// One connection per process, kept on globalThis so dev-mode reloads reuse it.
const holder = globalThis as unknown as { __portalDb?: { db: Db; sqlite: Database.Database } };

export function getDb(): Db {
  holder.__portalDb ??= openDb(path.join(portalConfig().dataDir, "portal.sqlite"));
  return holder.__portalDb.db;
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
