import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes a migration for whatever lib/db/schema.ts changed;
// lib/db/schema.test.ts fails while one is missing.
export default defineConfig({
  dialect: "sqlite",
  schema: "./lib/db/schema.ts",
  out: "./lib/db/migrations",
});
