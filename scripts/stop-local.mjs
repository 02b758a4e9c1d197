#!/usr/bin/env node
// Stops every process the local provider started for data folders under the given
// path (default: data/), then removes what those environments held on this machine outside
// their folders: network namespaces, control groups and socket folders, as each one's
// state.json records them. Processes carry PORTAL_OWNER_DIR in their environment.
import { execFileSync } from "node:child_process";
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

/** Every environment's state.json under `dir`: <data>/local/<id>/state.json, data folders nested a few levels deep. */
function stateFiles(dir, depth = 0) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isFile() && e.name === "state.json" && path.basename(path.dirname(path.dirname(full))) === "local") return [full];
    return e.isDirectory() && depth < 5 ? stateFiles(full, depth + 1) : [];
  });
}

// A killed process leaves its group a moment later.
if (stopped) await new Promise((r) => setTimeout(r, 500));
let released = 0;
for (const file of stateFiles(root)) {
  let isolation;
  try {
    isolation = JSON.parse(fs.readFileSync(file, "utf8")).isolation;
  } catch {
    continue;
  }
  if (!isolation) continue;
  if (isolation.namespace && fs.existsSync(`/run/netns/${isolation.namespace}`)) {
    try {
      execFileSync("ip", ["netns", "delete", isolation.namespace], { stdio: "ignore" });
      released++;
    } catch {
      /* not ours to remove (not root) */
    }
  }
  for (const dir of new Set([isolation.group?.memory, isolation.group?.cpu].filter(Boolean))) {
    try {
      fs.rmdirSync(dir);
      released++;
    } catch {
      /* gone already, or still busy */
    }
  }
  if (isolation.socketDir) {
    fs.rmSync(isolation.socketDir, { recursive: true, force: true });
    // The room's seed (stopped above with the rest) listened beside the environments' folders.
    fs.rmSync(path.join(path.dirname(isolation.socketDir), "seed.sock"), { force: true });
  }
  // The portal's own folders go once none of its environments is left in them.
  for (const dir of [isolation.group?.memory, isolation.group?.cpu, isolation.socketDir].filter(Boolean)) {
    try {
      fs.rmdirSync(path.dirname(dir));
    } catch {
      /* another environment's, or gone */
    }
  }
}
console.log(`stop-local: released ${released} network namespace(s) and control group(s) under ${root}`);
