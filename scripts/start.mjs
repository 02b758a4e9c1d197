#!/usr/bin/env node
// Launches the portal: makes sure the event's secrets exist (from the environment, or
// generated once and kept under the data folder with mode 0600), then runs Next.js.
import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const dataDir = path.resolve(process.env.PORTAL_DATA_DIR || "data");
const secretsFile = path.join(dataDir, "secrets.json");
const dev = process.argv.includes("--dev");
const port = process.env.PORT || "3000";

// No 0/O/1/I/L, so a code read off a projector is typed right the first time.
const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const pick = (n) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");

const generators = {
  EVENT_JOIN_CODE: () => `DASK-${pick(4)}-${pick(4)}`,
  FACILITATOR_PASSWORD: () => randomBytes(12).toString("base64url"),
  NEXTAUTH_SECRET: () => randomBytes(32).toString("base64url"),
};

function loadStored() {
  try {
    return JSON.parse(fs.readFileSync(secretsFile, "utf8"));
  } catch (err) {
    if (err.code === "ENOENT") return {};
    throw new Error(`Cannot read ${secretsFile}: ${err.message}. Fix or delete it.`);
  }
}

function ensureSecrets() {
  // The folder holds the database (attendee emails), secrets and notebook tokens: owner only.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stored = loadStored();
  const generated = [];
  for (const [name, make] of Object.entries(generators)) {
    if (process.env[name]) continue;
    if (!stored[name]) {
      stored[name] = make();
      generated.push(name);
    }
    process.env[name] = stored[name];
  }
  if (generated.length) {
    fs.writeFileSync(secretsFile, JSON.stringify(stored, null, 2), { mode: 0o600 });
    fs.chmodSync(secretsFile, 0o600);
  }
  return generated;
}

const generated = ensureSecrets();
process.env.NEXTAUTH_URL ||= `http://localhost:${port}`;
const shown = generated.filter((n) => n !== "NEXTAUTH_SECRET");
if (shown.length) {
  console.log("\n  First start: these were generated and stored in", secretsFile);
  if (shown.includes("EVENT_JOIN_CODE")) console.log("  Event join code:      ", process.env.EVENT_JOIN_CODE);
  if (shown.includes("FACILITATOR_PASSWORD")) console.log("  Facilitator password: ", process.env.FACILITATOR_PASSWORD);
  console.log("");
}

const nextBin = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
const child = spawn(process.execPath, [nextBin, dev ? "dev" : "start", "-p", port], { stdio: "inherit", env: process.env });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
