#!/usr/bin/env node
// Launches the portal: makes sure the event's secrets exist (from the environment, or
// generated once and kept under the data folder with mode 0600), then serves Next.js with
// the connection's address attached (see below).
import { randomBytes, randomInt } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
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

// The portal's own HTTP server around Next.js (instead of `next start`), for one reason:
// the sign-in rate limit and the audit log need the connection's address, which Next's
// handlers cannot see. Every request carries it in x-portal-peer, replacing anything a
// client sent under that name; lib/auth/client-address.ts reads it.
process.env.NODE_ENV = dev ? "development" : "production";
const { default: next } = await import("next");
const app = next({ dev, dir: process.cwd(), port: Number(port) });
const handle = app.getRequestHandler();
await app.prepare();

// Each local environment's JupyterLab and Dask dashboard are not served here but on the
// content origin (lib/content), which the runtime starts on PORTAL_CONTENT_PORT.
const server = http.createServer((req, res) => {
  req.headers["x-portal-peer"] = req.socket.remoteAddress ?? "";
  handle(req, res);
});
// The only WebSockets here are Next's own, in development (hot reload); anything else is closed.
const nextUpgrade = dev ? app.getUpgradeHandler() : null;
server.on("upgrade", (req, socket, head) => {
  if (nextUpgrade) return nextUpgrade(req, socket, head);
  socket.destroy();
});
server.listen(Number(port), () => console.log(`  Portal ready on http://localhost:${port}`));

// The runtime (lib/runtime.ts) lets go of its environments on the same signals, in the
// same tick; then the process ends without waiting for open streams to close.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close();
    setImmediate(() => process.exit(0));
  });
}
