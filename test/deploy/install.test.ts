// deploy/install.sh on a fresh Debian 13 root (test/deploy/debian-root.mjs), chrooted, up to
// where systemd would start the units: systemd-analyze verifies them, and smoke.sh starts
// what they describe in a network namespace of its own (loopback only). Then: a second run
// changes nothing; a newer commit is built beside the running one and switched to, and
// the store and secrets stay as they were. The repository is served to the root by
// `git daemon` on loopback, as a real host would fetch it over the network. Packages come
// from Debian's mirror, npm's registry and PyPI (downloads cached in .cache/deploy).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshRoot, inRoot, repoRoot, runInRoot } from "./debian-root.mjs";

const hostname = "workshop.invalid";
let work: string;
let root: string;
let daemon: ChildProcess;
let repoUrl: string;
let loop: string;
const first = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
let second: string;
const seconds: Record<string, number> = {};
/** The installer's own account of its slow steps ("install.sh: took N s (packages …)"), per run. */
const took: string[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await work();
  } finally {
    seconds[label] = Math.round((Date.now() - start) / 1000);
  }
}

async function install(...args: string[]) {
  const run = await runInRoot(root, ["/src/deploy/install.sh", ...args]);
  took.push(...run.stdout.split("\n").filter((l) => l.startsWith("install.sh: took ")));
  return run;
}
const rootFile = (p: string) => path.join(root, p);
const read = (p: string) => fs.readFileSync(rootFile(p), "utf8");

/** Every file of the installation and its content's digest, data folder aside: what a no-op run must leave as it was. */
function installation(): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) out.push(`${full} -> ${fs.readlinkSync(full)}`);
      else if (entry.isDirectory()) walk(full);
      else {
        const s = fs.statSync(full);
        out.push(`${full} ${s.mode.toString(8)} ${s.mtimeMs} ${createHash("sha256").update(fs.readFileSync(full)).digest("hex")}`);
      }
    }
  };
  // current is a link inside the root (/opt/dask-portal/releases/<commit>): followed there, not on this machine.
  for (const p of ["etc/dask-portal", "etc/caddy", "etc/systemd/system", fs.readlinkSync(rootFile("opt/dask-portal/current")).slice(1)]) walk(rootFile(p));
  out.push(fs.readlinkSync(rootFile("opt/dask-portal/current")));
  for (const p of ["opt/dask-portal/releases", "opt/dask-portal/python"]) out.push(...fs.readdirSync(rootFile(p)));
  out.push(read("etc/fstab"));
  return out.join("\n");
}

/** The smoke run's KEY=VALUE lines. */
async function smoke(): Promise<Record<string, string>> {
  fs.copyFileSync(path.join(repoRoot, "test/deploy/smoke.sh"), rootFile("src/smoke.sh"));
  const run = await runInRoot(root, ["bash", "/src/smoke.sh"], { env: { IN_ROOT_NET: "none" } });
  expect(run.stderr).toBe("");
  return Object.fromEntries(run.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "portal-install-"));
  root = path.join(work, "root");
  await timed("fresh root", async () => freshRoot(root));
  // What the host stack's user data does first: the installer of the commit it runs.
  fs.mkdirSync(rootFile("src"), { recursive: true });
  execFileSync("sh", ["-c", `git -C "${repoRoot}" archive ${first} deploy | tar -x -C "${rootFile("src")}"`]);
  execFileSync("git", ["clone", "-q", "--bare", repoRoot, path.join(work, "repo.git")]);
  const port = await freePort();
  daemon = spawn("git", ["daemon", `--base-path=${work}`, "--export-all", "--listen=127.0.0.1", `--port=${port}`, work], { stdio: "ignore" });
  repoUrl = `git://127.0.0.1:${port}/repo.git`;
  for (let i = 0; i < 50 && !execFileOk("git", ["ls-remote", repoUrl]); i++) await new Promise((r) => setTimeout(r, 100));
  // A blank 256 MiB disk for the data folder, as the host stack attaches one.
  const image = path.join(work, "data.img");
  execFileSync("truncate", ["-s", "256M", image]);
  loop = execFileSync("losetup", ["--find", "--show", image], { encoding: "utf8" }).trim();
});

function execFileOk(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  daemon?.kill();
  if (loop) execFileSync("losetup", ["--detach", loop]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
  console.log(`install.sh on Debian 13, seconds per step: ${JSON.stringify(seconds)}\n${took.join("\n")}`);
});

describe("deploy/install.sh on a fresh Debian 13", () => {
  it("refuses bad input before touching anything", async () => {
    const bad = [
      [["--hostname", hostname, "--commit", "abc123"], "--commit must be a full commit id (40 hex digits), got 'abc123'"],
      [["--hostname", "not a name", "--commit", first], "--hostname 'not a name' is not a DNS name such as workshop.example.org"],
      [["--commit", first], "--hostname is required"],
      [["--hostname", hostname, "--commit", first, "--provider", "gcp"], "--provider must be local or aws, got 'gcp'"],
      [["--hostname", hostname, "--commit", first, "--data-device", "/dev/nothing-here"], "--data-device /dev/nothing-here is not a block device"],
      [["--hostname", hostname, "--commit", first, "--colour", "blue"], "unknown option --colour"],
    ] as const;
    for (const [args, message] of bad) {
      const run = await install(...args);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(message);
    }
    expect(fs.existsSync(rootFile("opt/dask-portal"))).toBe(false);
    expect(fs.existsSync(rootFile("etc/dask-portal"))).toBe(false);
  });

  it("installs packages, the portal user, the built commit, the units and Caddy", async () => {
    const run = await timed("first install", () =>
      install("--hostname", hostname, "--commit", first, "--repo", repoUrl, "--provider", "local", "--email", "facilitator@example.org", "--data-device", loop, "--backup-bucket", "portal-host-backupbucket-test", "--aws-region", "us-west-2"),
    );
    expect(run.stderr.split("\n").filter((l) => /^install\.sh:/.test(l))).toEqual([]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`install.sh: making an ext4 file system on the empty ${loop}`);
    expect(run.stdout).toContain(`install.sh: now running ${first}`);
    expect(run.stdout).toContain("install.sh: systemd is not running here: the units are enabled and start when this system boots");

    const passwd = read("etc/passwd").split("\n").find((l) => l.startsWith("portal:"))!.split(":");
    expect(Number(passwd[2])).toBeLessThan(1000);
    expect(passwd.slice(5)).toEqual(["/var/lib/dask-portal", "/usr/sbin/nologin"]);
    expect(fs.readlinkSync(rootFile("opt/dask-portal/current"))).toBe(`/opt/dask-portal/releases/${first}`);
    expect(fs.existsSync(rootFile(`opt/dask-portal/releases/${first}/.next/BUILD_ID`))).toBe(true);

    const env = read("etc/dask-portal/portal.env");
    for (const line of [
      `NEXTAUTH_URL=https://${hostname}`,
      "PORTAL_TRUSTED_PROXIES=127.0.0.1/32,::1/128",
      "PORTAL_DATA_DIR=/var/lib/dask-portal",
      "PORTAL_PROVIDER=local",
      "PORTAL_BACKUP_BUCKET=portal-host-backupbucket-test",
      "AWS_REGION=us-west-2",
    ]) {
      expect(env.split("\n")).toContain(line);
    }
    expect(env).toMatch(/^PORTAL_PYTHON_ENV=\/opt\/dask-portal\/python\/[0-9a-f]{12}$/m);
    expect(fs.statSync(rootFile("etc/dask-portal/portal.env")).mode & 0o777).toBe(0o640);

    const caddyfile = read("etc/caddy/Caddyfile");
    expect(caddyfile).toContain("email facilitator@example.org");
    expect(caddyfile).toContain(`${hostname} {`);
    expect(caddyfile).toContain('header Strict-Transport-Security "max-age=31536000"');
    expect(caddyfile).toMatch(/@streams path_regexp \^\/api\/\.\+\/events\$\n\thandle @streams \{\n\t\treverse_proxy 127\.0\.0\.1:3000 \{\n\t\t\tflush_interval -1/);
    expect(caddyfile.match(/header_up X-Forwarded-For \{remote_host\}/g)).toHaveLength(2);
    expect(read("etc/fstab")).toMatch(/^UUID=[0-9a-f-]{36} \/var\/lib\/dask-portal ext4 defaults,nofail,noatime 0 2$/m);
    for (const link of ["multi-user.target.wants/dask-portal.service", "timers.target.wants/dask-portal-https.timer", "multi-user.target.wants/caddy.service"]) {
      expect(fs.lstatSync(rootFile(`etc/systemd/system/${link}`)).isSymbolicLink()).toBe(true);
    }
  });

  it("writes units systemd-analyze verifies without a word", () => {
    const out = inRoot(root, ["sh", "-c", "systemd-analyze verify /etc/systemd/system/dask-portal.service /etc/systemd/system/dask-portal-https.service /etc/systemd/system/dask-portal-https.timer 2>&1"]);
    expect(out).toBe("");
    const unit = read("etc/systemd/system/dask-portal.service");
    expect(unit).toMatch(/^User=portal$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
  });

  it("starts as the unit says, behind the Caddyfile it wrote, and says why HTTPS is not up", async () => {
    const s = await timed("smoke", smoke);
    expect(s.DATA_MOUNTED).toBe("yes");
    expect(JSON.parse(s.HEALTH)).toMatchObject({ status: "ok" });
    expect(s.PORTAL_USER).toBe("portal");
    expect(s.REDIRECT).toBe(`308 https://${hostname}/`);
    expect(s.CHECK).toBe(`HTTPS for ${hostname} is not up yet: ${hostname} does not resolve yet: create a DNS A record for it. Caddy gets the certificate once it does.`);
    expect(s.PAGE).toContain(`<p id="reason">${hostname} does not resolve yet: create a DNS A record for it.`);
    // The bare address never reaches the portal itself: every path gets the status page.
    expect(s.PAGE_FOR_ADDRESS_PATH).toBe("200");
    expect(s.SECRETS_MODE).toBe("600 portal");
    expect(s.PORTAL_EXIT).toBe("0");
  });

  it("changes nothing when run again with the same settings", async () => {
    const before = installation();
    const run = await timed("second install", () => install("--hostname", hostname, "--commit", first));
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`install.sh: nothing to change: ${first} is installed as configured`);
    expect(run.stdout).not.toMatch(/wrote|now running|building|installing/);
    expect(installation()).toBe(before);
  });

  it("upgrades to a newer commit in place, keeping the store and the secrets", async () => {
    const clone = path.join(work, "clone");
    execFileSync("git", ["clone", "-q", path.join(work, "repo.git"), clone]);
    fs.appendFileSync(path.join(clone, "README.md"), "\nA newer commit, for the installer's upgrade test.\n");
    execFileSync("git", ["-C", clone, "-c", "user.name=Test", "-c", "user.email=test@example.org", "commit", "-qam", "newer"]);
    execFileSync("git", ["-C", clone, "push", "-q", "origin", "HEAD:refs/heads/newer"]);
    second = execFileSync("git", ["-C", clone, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const kept = inRoot(root, ["sh", "-c", "mount /var/lib/dask-portal && sha256sum /var/lib/dask-portal/secrets.json /var/lib/dask-portal/portal.sqlite"]);

    // The upgrade also turns on issue 21's content origin: a site block of its own for *.rooms.<name>.
    const run = await timed("upgrade", () => install("--commit", second, "--content-domain", `rooms.${hostname}`));
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`install.sh: building ${second} (the running release's npm packages, next build)`);
    // The same pins: the running Python env is kept, not made again.
    expect(run.stdout).not.toContain("making the Python env");
    expect(run.stdout).toContain(`install.sh: now running ${second} (was ${first})`);
    expect(fs.readlinkSync(rootFile("opt/dask-portal/current"))).toBe(`/opt/dask-portal/releases/${second}`);
    expect(fs.readdirSync(rootFile("opt/dask-portal/releases")).sort()).toEqual([first, second].sort());
    expect(inRoot(root, ["sh", "-c", "mount /var/lib/dask-portal && sha256sum /var/lib/dask-portal/secrets.json /var/lib/dask-portal/portal.sqlite"])).toBe(kept);
    expect(read("etc/dask-portal/install.conf")).toContain(`commit=${second}`);
    expect(read("etc/dask-portal/portal.env").split("\n")).toContain(`PORTAL_CONTENT_DOMAIN=rooms.${hostname}`);
    const caddyfile = read("etc/caddy/Caddyfile");
    expect(caddyfile).toContain("\ton_demand_tls {\n\t\task http://127.0.0.1:3000/api/internal/content-host\n\t}");
    expect(caddyfile).toMatch(new RegExp(`\\n\\*\\.rooms\\.workshop\\.invalid \\{\\n\\ttls \\{\\n\\t\\ton_demand\\n\\t\\}\\n`));
    expect(caddyfile).toContain("reverse_proxy 127.0.0.1:3001 {");

    // deploy/restore.sh, as the docs tell an operator to run it: a copy of the store made the store again, the old one kept.
    // In a network namespace of its own: whatever listens on this machine's port 3000 is not a portal of this root.
    const restored = await runInRoot(
      root,
      // The portal was stopped, so the store's file and its write-ahead log together are one consistent copy.
      ["sh", "-c", "mount /var/lib/dask-portal && for f in portal.sqlite portal.sqlite-wal; do [ ! -f /var/lib/dask-portal/$f ] || cp /var/lib/dask-portal/$f /tmp/copy.${f#portal.}; done && chmod 644 /tmp/copy.* && /opt/dask-portal/current/deploy/restore.sh /tmp/copy.sqlite"],
      { env: { IN_ROOT_NET: "none" } },
    );
    expect(restored).toMatchObject({
      stderr: expect.not.stringMatching(/error|denied|refuse|cannot/i),
      status: 0,
      stdout: expect.stringMatching(/^Restored \/tmp\/copy\.sqlite into \/var\/lib\/dask-portal \(schema version \d+\)\. The store that was there is kept as \/var\/lib\/dask-portal\/backups\/before-restore-\d{8}T\d{6}Z\.sqlite\.$/m),
    });

    // A commit the repository does not have is refused, and the running one stays.
    const missing = await install("--commit", "0".repeat(40));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(`install.sh: ${repoUrl} has no commit ${"0".repeat(40)}`);
    expect(fs.readlinkSync(rootFile("opt/dask-portal/current"))).toBe(`/opt/dask-portal/releases/${second}`);
  });
});
