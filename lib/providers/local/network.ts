import "server-only";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ENV_MARKER, OWNER_MARKER, isAlive, markersOf, signalGroup, type ChildEnv } from "./processes";

// Each environment's processes share one network namespace of their own, made with
// `ip netns` (so it outlives a portal restart without a process holding it):
// - the only way in is the portal: JupyterLab and the dashboard listen on Unix sockets in a
//   folder the portal reads (launch.ts), which no network namespace can hide;
// - the only way out, with PORTAL_LOCAL_EGRESS=public, is slirp4netns: user-mode networking
//   that makes each connection from the portal's own namespace, with the host's loopback
//   refused (--disable-host-loopback) and run in a sandbox of its own (--enable-sandbox,
//   --enable-seccomp);
// - policy rules (`ip rule … prohibit`, checked before any route) refuse this machine's own
//   addresses, the private, shared and link-local ranges (the instance metadata service's
//   169.254.169.254 among them) and IPv6's unique-local and link-local ranges, so a kernel's
//   connect() to them fails inside the namespace and no packet leaves it. Nothing inside may
//   change them: bubblewrap's user namespace holds no capability over this network namespace.
// Sources: ip-netns(8), ip-rule(8), slirp4netns(1) (slirp4netns 1.2.0 on Debian 12).

const run = promisify(execFile);

/** Never reachable from a sandbox: RFC 1918, shared address space (RFC 6598), link-local. */
export const BLOCKED_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];
/** Unique-local (RFC 4193) and link-local IPv6. slirp4netns gives the namespace no IPv6 route at all. */
export const BLOCKED_IPV6 = ["fc00::/7", "fe80::/10"];

/**
 * slirp4netns's own network inside the namespace (its defaults): the namespace's address, the
 * gateway (the host's loopback, which --disable-host-loopback refuses) and the DNS forwarder,
 * the one address of 10.0.0.0/8 a sandbox may reach.
 */
export const SLIRP = { address: "10.0.2.100", gateway: "10.0.2.2", dns: "10.0.2.3" };

/** Rule priorities: the DNS forwarder's exception first, then the refusals; the main table comes at 32766. */
const PREF = { allow: 100, blocked: 200, host: 210 };

export type NetworkMode = "namespace" | "shared";

export interface NetworkTools {
  ip: string;
  nsenter: string;
  unshare: string;
  /** Needed for public egress only. */
  slirp4netns: string | null;
  /** The PATH they were found on (the portal's own); slirp4netns runs with it. */
  searchPath: string;
}

function which(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(":").concat(["/usr/sbin", "/sbin"])) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** The namespace's name: the portal's data folder (two portals on one machine never share one) and the environment. */
export function namespaceName(owner: string, envId: string): string {
  return `dask-${createHash("sha256").update(owner).digest("hex").slice(0, 8)}-${envId}`;
}

/** The command prefix that runs what follows in the environment's network namespace. */
export function joinNamespace(tools: NetworkTools, name: string): string[] {
  return [tools.nsenter, `--net=/run/netns/${name}`, "--"];
}

/** This machine's own addresses besides loopback: reaching them would reach what it serves on them. */
function hostAddresses(): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === "IPv4") v4.push(`${a.address}/32`);
      else v6.push(`${a.address.split("%")[0]}/128`);
    }
  }
  return { v4, v6 };
}

async function ip(tools: NetworkTools, name: string, args: string[]): Promise<void> {
  await run(tools.ip, ["-n", name, ...args], { timeout: 10_000 });
}

/**
 * Makes the namespace with its loopback up and its rules in place, before anything runs in it.
 * Throws with `ip`'s own words when it cannot (not root, no iproute2).
 */
export async function createNamespace(tools: NetworkTools, name: string, egress: "public" | "none"): Promise<void> {
  await run(tools.ip, ["netns", "add", name], { timeout: 10_000 });
  try {
    await ip(tools, name, ["link", "set", "lo", "up"]);
    if (egress === "public") await ip(tools, name, ["rule", "add", "pref", String(PREF.allow), "to", `${SLIRP.dns}/32`, "lookup", "main"]);
    for (const range of BLOCKED_IPV4) await ip(tools, name, ["rule", "add", "pref", String(PREF.blocked), "to", range, "prohibit"]);
    for (const range of BLOCKED_IPV6) await ip(tools, name, ["-6", "rule", "add", "pref", String(PREF.blocked), "to", range, "prohibit"]);
    const own = hostAddresses();
    for (const address of own.v4) await ip(tools, name, ["rule", "add", "pref", String(PREF.host), "to", address, "prohibit"]);
    for (const address of own.v6) await ip(tools, name, ["-6", "rule", "add", "pref", String(PREF.host), "to", address, "prohibit"]);
  } catch (err) {
    await deleteNamespace(tools, name);
    throw err;
  }
}

export async function deleteNamespace(tools: NetworkTools, name: string): Promise<void> {
  await run(tools.ip, ["netns", "delete", name], { timeout: 10_000 }).catch(() => undefined);
}

/** Whether the namespace is still there (it outlives the portal; a reboot removes it). */
export function namespaceExists(name: string): boolean {
  return fs.existsSync(`/run/netns/${name}`);
}

/**
 * Starts slirp4netns for the namespace, as a process of the environment (its markers, its
 * own process group, a log file), and resolves with its pid once the namespace's tap device
 * is up with its address and default route.
 */
export async function startEgress(tools: NetworkTools, name: string, marks: { envId: string; owner: string }, logFile: string): Promise<number> {
  const pid = await spawnSlirp(tools, name, marks, logFile);
  try {
    await ip(tools, name, ["link", "set", "tap0", "mtu", "65520", "up"]);
    await ip(tools, name, ["addr", "add", `${SLIRP.address}/24`, "dev", "tap0"]);
    // `onlink`: the gateway lies in 10.0.0.0/8, which the rules refuse, so the kernel must not look it up through them.
    await ip(tools, name, ["route", "add", "default", "via", SLIRP.gateway, "dev", "tap0", "onlink"]);
  } catch (err) {
    signalGroup(pid, "SIGKILL");
    throw err;
  }
  return pid;
}

/**
 * slirp4netns itself, resolved with its pid once it has made the tap device. Its mount
 * namespace is made private first: its own sandbox would otherwise unmount the namespace's
 * file under /run/netns for everyone (seen with slirp4netns 1.2.0). It does not configure the
 * device (no --configure): its route would need the gateway, which the rules refuse.
 */
function spawnSlirp(tools: NetworkTools, name: string, marks: { envId: string; owner: string }, logFile: string): Promise<number> {
  if (!tools.slirp4netns) return Promise.reject(new Error("slirp4netns is not installed"));
  const out = fs.openSync(logFile, "a");
  const env: ChildEnv = { PATH: tools.searchPath, [ENV_MARKER]: marks.envId, [OWNER_MARKER]: marks.owner };
  const child = spawn(
    tools.unshare,
    [
      "--mount", "--propagation", "private", "--",
      tools.slirp4netns, "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
      "--ready-fd=3", "--netns-type=path", `/run/netns/${name}`, "tap0",
    ],
    { detached: true, stdio: ["ignore", out, out, "pipe"], env: env as NodeJS.ProcessEnv },
  );
  fs.closeSync(out);
  child.unref();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("slirp4netns did not make the namespace's device within 10 s")), 10_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (child.pid) signalGroup(child.pid, "SIGKILL");
      reject(err);
    };
    const ready = child.stdio[3] as NodeJS.ReadableStream;
    ready.once("data", () => {
      clearTimeout(timer);
      ready.removeAllListeners();
      (ready as unknown as { destroy(): void }).destroy();
      resolve(child.pid!);
    });
    child.once("exit", (code, signal) => fail(new Error(`slirp4netns exited (${signal ?? `exit code ${code}`}); see ${path.basename(logFile)}`)));
    child.once("error", (err) => fail(err));
  });
}

/** Whether `pid` is this environment's slirp4netns, still running. */
export function egressAlive(pid: number | null, envId: string): boolean {
  return pid !== null && isAlive(pid) && markersOf(pid).envId === envId;
}

export interface NetworkProbe {
  tools: NetworkTools | null;
  error?: string;
}

/** Probes made by this process, which name each probe's namespace apart. */
let probes = 0;

/**
 * Makes a namespace exactly as an environment gets one (and, for public egress, starts
 * slirp4netns on it), then removes it: whatever this machine refuses shows here, at start.
 */
export async function probeNetwork(egress: "public" | "none", searchPath: string): Promise<NetworkProbe> {
  const ipPath = which("ip", searchPath);
  const nsenter = which("nsenter", searchPath);
  const unshare = which("unshare", searchPath);
  if (!ipPath || !nsenter || !unshare) return { tools: null, error: "iproute2's `ip` or util-linux's `nsenter` and `unshare` are not installed" };
  const tools: NetworkTools = { ip: ipPath, nsenter, unshare, slirp4netns: which("slirp4netns", searchPath), searchPath };
  if (egress === "public" && !tools.slirp4netns) return { tools: null, error: "slirp4netns is not installed" };
  // Unique in this process (a bench or test may probe for two providers at once); one left by
  // a crashed process that had this pid is removed first.
  const name = `dask-probe-${process.pid}-${++probes}`;
  await deleteNamespace(tools, name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-netns-probe-"));
  try {
    await createNamespace(tools, name, egress);
    if (egress === "public") signalGroup(await startEgress(tools, name, { envId: "probe", owner: dir }, path.join(dir, "slirp.log")), "SIGKILL");
    return { tools };
  } catch (err) {
    const said = String((err as { stderr?: string }).stderr ?? "").trim().split("\n")[0] || (err as Error).message;
    return { tools: null, error: `this machine will not make a network namespace per environment (${said})` };
  } finally {
    await deleteNamespace(tools, name);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
