// A fresh Debian 13 (trixie) root for the installer's test, built from Debian's own
// packages with mmdebstrap (no image registry is needed, or reachable here). The tarball is
// kept in .cache/deploy, named after what went into it, so later runs only unpack it; each
// run still starts from an untouched root. Downloads (apt, npm, pip) are cached there too.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cacheDir = path.join(repoRoot, ".cache/deploy");
const mirror = "http://deb.debian.org/debian";
// What a Debian 13 cloud image has before anything is installed on it: systemd, CA certificates, curl.
const mmdebstrapArgs = ["--variant=minbase", "--include=systemd,systemd-sysv,ca-certificates,curl", "trixie"];

/** The root's tarball, built once per set of arguments. */
export function debianRootTarball() {
  const key = createHash("sha256").update(JSON.stringify([mmdebstrapArgs, mirror])).digest("hex").slice(0, 12);
  const tarball = path.join(cacheDir, `trixie-${key}.tar`);
  if (!fs.existsSync(tarball)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    execFileSync("mmdebstrap", ["--quiet", "--format=tar", ...mmdebstrapArgs, `${tarball}.partial`, mirror], { stdio: "inherit" });
    fs.renameSync(`${tarball}.partial`, tarball);
  }
  return tarball;
}

/**
 * Unpacks a fresh root into `dir`, trusting what this machine trusts: a machine behind a
 * TLS-inspecting proxy has its certificate authority in /usr/local/share/ca-certificates,
 * and a VM there would carry the same.
 */
/** @param {string} dir */
export function freshRoot(dir) {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-x", "-f", debianRootTarball(), "-C", dir]);
  fs.copyFileSync("/etc/resolv.conf", path.join(dir, "etc/resolv.conf"));
  const local = "/usr/local/share/ca-certificates";
  const extra = fs.existsSync(local) ? fs.readdirSync(local).filter((n) => n.endsWith(".crt")) : [];
  for (const sub of ["apt", "portal"]) fs.mkdirSync(path.join(cacheDir, sub), { recursive: true });
  for (const name of extra) fs.copyFileSync(path.join(local, name), path.join(dir, local, name));
  if (extra.length) inRoot(dir, ["update-ca-certificates"]);
}

/** The environment a command in the root gets: this machine's, less what points at its own files. */
function rootEnv() {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  delete env.PIP_FIND_LINKS;
  return env;
}

const inRootScript = path.join(repoRoot, "test/deploy/in-root.sh");

/**
 * Runs `command` in the root (as root, in a mount namespace of its own); returns its output, throws on failure.
 * @param {string} dir
 * @param {string[]} command
 * @param {{ env?: Record<string, string> }} [options]
 * @returns {string}
 */
export function inRoot(dir, command, options = {}) {
  return execFileSync(inRootScript, [dir, ...command], { env: { ...rootEnv(), ...options.env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Like inRoot, but resolves with the status and both outputs whatever happened.
 * @param {string} dir
 * @param {string[]} command
 * @param {{ env?: Record<string, string> }} [options]
 * @returns {Promise<{ status: number | null, stdout: string, stderr: string }>}
 */
export function runInRoot(dir, command, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(inRootScript, [dir, ...command], { env: { ...rootEnv(), ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
