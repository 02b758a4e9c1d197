import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { generateSQLiteDrizzleJson, generateSQLiteMigration, type DrizzleSQLiteSnapshotJSON } from "drizzle-kit/api";
import { describe, expect, it } from "vitest";
import { migrationsFolder, openDb } from "./index";
import * as schema from "./schema";

/** What a store holds, structurally: tables and their columns, indexes, foreign keys and checks. */
function shape(sqlite: Database.Database) {
  const tables = sqlite
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '__drizzle_migrations' ORDER BY name")
    .all() as { name: string; sql: string }[];
  return Object.fromEntries(
    tables.map(({ name, sql }) => [
      name,
      {
        columns: sqlite.prepare(`PRAGMA table_info(${name})`).all().map((c) => {
          const { name: column, type, notnull, dflt_value, pk } = c as Record<string, unknown>;
          // The hand-written SQL declared keys without NOT NULL (SQLite then lets a text key be
          // NULL); drizzle declares them NOT NULL. The portal never writes a NULL key.
          return { column, type: String(type).toLowerCase(), notnull: pk ? "key" : notnull, dflt_value, pk };
        }).sort((a, b) => String(a.column).localeCompare(String(b.column))),
        indexes: (sqlite.prepare(`PRAGMA index_list(${name})`).all() as { name: string; unique: number; partial: number }[])
          .map((i) => ({
            unique: i.unique,
            partial: i.partial,
            columns: (sqlite.prepare(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map((c) => c.name).join(","),
          }))
          // The same unique index may exist twice (inline UNIQUE and a named one); it constrains the same.
          .filter((i, n, all) => all.findIndex((j) => JSON.stringify(j) === JSON.stringify(i)) === n)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        foreignKeys: sqlite.prepare(`PRAGMA foreign_key_list(${name})`).all().map((f) => {
          const { table, from, to } = f as Record<string, unknown>;
          return { table, from, to };
        }),
        checks: /CHECK\s*\(/i.test(sql),
      },
    ]),
  );
}

describe("the store's schema", () => {
  it("has a migration for everything lib/db/schema.ts declares (else: npm run db:generate)", async () => {
    const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: { idx: number }[] };
    const last = journal.entries.at(-1)!;
    const snapshot = JSON.parse(
      fs.readFileSync(path.join(migrationsFolder, "meta", `${String(last.idx).padStart(4, "0")}_snapshot.json`), "utf8"),
    ) as DrizzleSQLiteSnapshotJSON;
    const current = await generateSQLiteDrizzleJson(schema);
    expect(await generateSQLiteMigration(snapshot, current)).toEqual([]);
  });

  it("notices a schema change that has no migration", async () => {
    const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: { idx: number }[] };
    const snapshot = JSON.parse(
      fs.readFileSync(path.join(migrationsFolder, "meta", `${String(journal.entries.at(-1)!.idx).padStart(4, "0")}_snapshot.json`), "utf8"),
    ) as DrizzleSQLiteSnapshotJSON;
    const { sqliteTable, text } = await import("drizzle-orm/sqlite-core");
    const changed = await generateSQLiteDrizzleJson({ ...schema, extra: sqliteTable("extra", { id: text("id").primaryKey() }) });
    expect((await generateSQLiteMigration(snapshot, changed)).join("\n")).toContain("CREATE TABLE `extra`");
  });

  it("upgrades a store made by the hand-written migrations of earlier versions to exactly a new store's shape, keeping its rows", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-upgrade-"));
    const file = path.join(dir, "portal.sqlite");
    const legacy = openLegacy(file);
    legacy.prepare("INSERT INTO attendees (id, email, name, created_at, last_seen_at) VALUES ('a1', 'ada@example.org', 'Ada', 'x', 'x')").run();
    legacy.close();

    const upgraded = openDb(file);
    const fresh = openDb(":memory:");
    try {
      expect(shape(upgraded.sqlite)).toEqual(shape(fresh.sqlite));
      expect(upgraded.sqlite.prepare("SELECT name FROM attendees").all()).toEqual([{ name: "Ada" }]);
      // Opening it again applies nothing twice.
      upgraded.sqlite.close();
      const again = openDb(file);
      expect(shape(again.sqlite)).toEqual(shape(fresh.sqlite));
      again.sqlite.close();
    } finally {
      fresh.sqlite.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function openLegacy(file: string): Database.Database {
  // better-sqlite3 is loaded the way lib/db loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const BetterSqlite = require("better-sqlite3") as typeof Database;
  const sqlite = new BetterSqlite(file);
  sqlite.exec(fs.readFileSync(path.resolve(__dirname, "../../test/fixtures/store-before-generated-migrations.sql"), "utf8"));
  return sqlite;
}
