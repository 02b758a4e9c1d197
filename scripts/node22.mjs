#!/usr/bin/env node
// The portal supports Node 20 and Node 22 (package.json "engines"). `make test` runs on
// the machine's Node (20 here); this script runs the typecheck and the unit, local and aws
// test projects again under Node 22:
//   1. Node 22 comes from the npm registry (the node-linux-<arch> package, which holds the
//      binary and its headers), kept under .node22/ and reused.
//   2. The repository's files are copied to .node22/repo (what the working tree holds now,
//      tracked files only) with node_modules of their own, installed by npm running on
//      Node 22, so native addons (better-sqlite3) are built for Node 22's ABI from its
//      headers; the Python envs are shared by link.
//   3. The suites run there with Node 22 first on PATH.
//
//   node scripts/node22.mjs [--projects unit,local,aws]
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

/** The Node 22 release the suite is checked against; raise it deliberately. */
const NODE22 = "22.23.5";

const { values: args } = parseArgs({ options: { projects: { type: "string", default: "unit,local,aws" } } });
const root = path.resolve(import.meta.dirname, "..");
const home = path.join(root, ".node22");
const nodeDir = path.join(home, `node-${NODE22}`);
const node = path.join(nodeDir, "bin", "node");
const copy = path.join(home, "repo");

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { stdio: "inherit", ...options });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(" ")} failed (${result.status ?? result.signal})`);
}

/** Node 22 itself, unpacked once from the npm registry's node-linux-<arch> package. */
function ensureNode() {
  if (fs.existsSync(node)) return;
  fs.mkdirSync(home, { recursive: true });
  const pkg = `node-linux-${process.arch}@${NODE22}`;
  const tarball = execFileSync("npm", ["pack", pkg, "--silent"], { cwd: home, encoding: "utf8" }).trim().split("\n").pop();
  fs.rmSync(path.join(home, "package"), { recursive: true, force: true });
  run("tar", ["xzf", tarball], { cwd: home });
  fs.renameSync(path.join(home, "package"), nodeDir);
  fs.rmSync(path.join(home, tarball));
}

/** The working tree's tracked files (as they are now, edits included), mirrored into the copy. */
function syncRepo() {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(root, f)));
  const keep = new Set(files);
  // Files deleted or moved since the last run must not linger in the copy.
  const manifest = path.join(copy, ".synced-files");
  const before = fs.existsSync(manifest) ? fs.readFileSync(manifest, "utf8").split("\n") : [];
  for (const stale of before) if (stale && !keep.has(stale)) fs.rmSync(path.join(copy, stale), { force: true });
  fs.writeFileSync(manifest, files.join("\n"));
  for (const file of files) {
    const from = path.join(root, file);
    const to = path.join(copy, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  for (const venv of [".venv", ".venv-tools"]) {
    const link = path.join(copy, venv);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(root, venv), link);
  }
}

/** node_modules installed by npm running on Node 22, redone only when the lock file changes. */
function ensureModules(env) {
  const lock = fs.readFileSync(path.join(copy, "package-lock.json"));
  const stamp = path.join(copy, "node_modules", ".node22-stamp");
  const digest = createHash("sha256").update(lock).update(NODE22).digest("hex");
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) return;
  const npmCli = fs.realpathSync(execFileSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
  run(node, [npmCli, "ci", "--no-audit", "--no-fund"], { cwd: copy, env });
  fs.writeFileSync(stamp, digest);
}

ensureNode();
fs.mkdirSync(copy, { recursive: true });
syncRepo();
const env = {
  ...process.env,
  PATH: `${path.join(nodeDir, "bin")}${path.delimiter}${process.env.PATH}`,
  // Native addons build against Node 22's own headers (a user's npmrc may name another).
  npm_config_nodedir: nodeDir,
};
ensureModules(env);
console.log(`Node ${execFileSync(node, ["--version"], { encoding: "utf8" }).trim()} in ${copy}`);
run(node, ["node_modules/typescript/bin/tsc", "--noEmit"], { cwd: copy, env });
for (const project of args.projects.split(",").map((p) => p.trim()).filter(Boolean)) {
  run(node, ["node_modules/vitest/vitest.mjs", "run", "--project", project], { cwd: copy, env });
}
