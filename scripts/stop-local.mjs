#!/usr/bin/env node
// Stops every process the local provider started for data folders under the given
// path (default: data/). Processes carry PORTAL_OWNER_DIR in their environment.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? "data");
let stopped = 0;
for (const entry of fs.readdirSync("/proc")) {
  if (!/^\d+$/.test(entry)) continue;
  let environ;
  try {
    environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
  } catch {
    continue;
  }
  const owner = environ.find((e) => e.startsWith("PORTAL_OWNER_DIR="))?.slice("PORTAL_OWNER_DIR=".length);
  if (!owner || !(owner === root || owner.startsWith(`${root}${path.sep}`))) continue;
  try {
    process.kill(Number(entry), "SIGKILL");
    stopped++;
  } catch {
    /* gone already */
  }
}
console.log(`stop-local: stopped ${stopped} process(es) under ${root}`);
