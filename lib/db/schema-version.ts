import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";

// Which schema a store is at, counted in the generated migrations (lib/db/migrations):
// version N means the first N migrations are applied. drizzle records each applied
// migration with its folder's timestamp (the journal's "when"), so a store made by a newer
// portal carries a timestamp this portal's journal does not know.

export interface KnownMigration {
  tag: string;
  when: number;
}

/** The migrations this portal ships, oldest first. */
export function knownMigrations(migrationsFolder: string): KnownMigration[] {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map(({ tag, when }) => ({ tag, when })).sort((a, b) => a.when - b.when);
}

export interface StoreSchema {
  /** How many migrations the store has applied. */
  version: number;
  /** When its newest applied migration was generated (ms), or null for an empty store. */
  newestWhen: number | null;
}

export function storeSchema(sqlite: Database.Database): StoreSchema {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!table) return { version: 0, newestWhen: null };
  const row = sqlite.prepare("SELECT COUNT(*) AS version, MAX(created_at) AS newest FROM __drizzle_migrations").get() as {
    version: number;
    newest: number | string | null;
  };
  return { version: row.version, newestWhen: row.newest === null ? null : Number(row.newest) };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Why this portal must not open `sqlite` (a store written by a newer portal, whose tables it
 * does not know), with both versions named; null when it may.
 */
export function newerSchemaReason(sqlite: Database.Database, migrationsFolder: string, what: string): string | null {
  const known = knownMigrations(migrationsFolder);
  const store = storeSchema(sqlite);
  const newestKnown = known.at(-1);
  if (store.newestWhen === null || !newestKnown || store.newestWhen <= newestKnown.when) return null;
  return (
    `${what} was written by a newer portal: its store is at schema version ${store.version} ` +
    `(newest migration generated ${day(store.newestWhen)}), and this portal knows versions up to ${known.length} ` +
    `(${newestKnown.tag}, generated ${day(newestKnown.when)}). Use a portal at that version or later.`
  );
}
