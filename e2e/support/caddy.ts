import { spawn, type ChildProcess } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { lookupAs } from "./http";
import { stopProcess } from "./portal-server";

// Debian's Caddy in front of a test's portal, with the site blocks deploy/install.sh writes on a
// host (deploy/Caddyfile.portal and, for PORTAL_CONTENT_DOMAIN, deploy/Caddyfile.content) and
// only the global options changed: loopback ports a test picks instead of 80 and 443, and
// certificates from Caddy's own CA instead of Let's Encrypt.

export interface CaddySites {
  /** The portal's public name (NEXTAUTH_URL's host, without the port). */
  hostname: string;
  /** Where the portal listens, on loopback (its PORT). */
  portalPort: number;
  /** The content origin: PORTAL_CONTENT_DOMAIN as the portal has it, port included, and PORTAL_CONTENT_PORT. */
  contentDomain: string;
  contentPort: number;
  httpsPort: number;
  httpPort: number;
}

/**
 * The Caddyfile the installer would write for these sites. `local_certs` is the global form of
 * `tls internal`: every site's certificate comes from Caddy's own CA. The content block keeps
 * the installer's on-demand issuance: an environment's host gets its certificate at the first
 * handshake, once the portal has said the host is one of its environments'.
 */
export function caddyfile(sites: CaddySites, storage: string): string {
  const template = (name: string) => fs.readFileSync(path.join("deploy", name), "utf8");
  const global = [
    "{",
    // No admin endpoint to collide with another Caddy on this machine; the test stops it by signal.
    "\tadmin off",
    "\tlocal_certs",
    "\tskip_install_trust",
    "\tdefault_bind 127.0.0.1",
    `\thttp_port ${sites.httpPort}`,
    `\thttps_port ${sites.httpsPort}`,
    `\tstorage file_system ${storage}`,
    "\ton_demand_tls {",
    `\t\task http://127.0.0.1:${sites.portalPort}/api/internal/content-host`,
    "\t}",
    "}",
  ].join("\n");
  const portal = template("Caddyfile.portal").replaceAll("@HOSTNAME@", sites.hostname).replaceAll("@PORT@", String(sites.portalPort));
  const content = template("Caddyfile.content")
    .replaceAll("@SITE@", `*.${sites.contentDomain}`)
    .replaceAll("@CONTENT_PORT@", String(sites.contentPort))
    .replace("@TLS_ON_DEMAND@", "tls {\n\t\ton_demand\n\t}");
  return `${global}\n\n${portal}\n${content}`;
}

/** Caddy run from a folder of its own; `stop()` ends it and leaves nothing running. */
export class CaddyFront {
  private child?: ChildProcess;
  private readonly output: string[] = [];
  /** Caddy's root certificate (PEM), for clients that verify the chain as a browser would. */
  rootPem = "";

  constructor(
    private readonly dir: string,
    readonly sites: CaddySites,
  ) {}

  get portalUrl(): string {
    return `https://${this.sites.hostname}:${this.sites.httpsPort}`;
  }

  async start(): Promise<void> {
    const storage = path.join(this.dir, "storage");
    fs.mkdirSync(storage, { recursive: true });
    const config = path.join(this.dir, "Caddyfile");
    fs.writeFileSync(config, caddyfile(this.sites, storage));
    // XDG folders inside the test's own: Caddy writes its autosaved config there, never in $HOME.
    const env = { ...process.env, XDG_CONFIG_HOME: path.join(this.dir, "config"), XDG_DATA_HOME: path.join(this.dir, "data") };
    this.child = spawn("caddy", ["run", "--adapter", "caddyfile", "--config", config], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.on("data", (d) => this.output.push(String(d)));
    this.child.stderr?.on("data", (d) => this.output.push(String(d)));
    const root = path.join(storage, "pki", "authorities", "local", "root.crt");
    await this.until(() => fs.existsSync(root), "made its CA");
    this.rootPem = fs.readFileSync(root, "utf8");
    await this.until(() => this.answers(), `answered ${this.portalUrl}/api/health`);
  }

  /**
   * The base64 SHA-256 of the public key of Caddy's intermediate CA, for Chromium's
   * --ignore-certificate-errors-spki-list: Chromium checks the chain the server presents
   * (leaf and intermediate; the root never travels), so the intermediate is what it can match.
   */
  intermediateSpki(): string {
    const pem = fs.readFileSync(path.join(this.dir, "storage", "pki", "authorities", "local", "intermediate.crt"), "utf8");
    const der = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(der).digest("base64");
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
  }

  /** The portal's health through Caddy, with the certificate verified against Caddy's root. */
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = https.get(`${this.portalUrl}/api/health`, { ca: this.rootPem, lookup: lookupAs("127.0.0.1") }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
    });
  }

  private async until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) throw new Error(`caddy exited early:\n${this.output.join("")}`);
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`caddy has not ${what} within 30 s:\n${this.output.join("")}`);
  }
}
