import "server-only";
import fs from "node:fs";
import path from "node:path";

// What a sandbox sees of /etc: only what Python, TLS and DNS need. The host's /etc is never
// bound: as root, the user inside maps to root outside, so a file only root may read
// (/etc/shadow, a key under /etc/ssl/private) would be readable there. The portal writes
// the few files itself, into a folder of its data that no sandbox can write to.

/** The files the portal writes, one name each, bound read-only at /etc/<name> (sandbox.ts). */
export const WRITTEN = ["passwd", "group", "hosts", "resolv.conf", "nsswitch.conf"] as const;

/**
 * The CA certificates and OpenSSL's configuration, where Debian and Amazon Linux keep them,
 * and the time zone: bound read-only where they exist (sandbox.ts).
 */
export const FROM_HOST = ["/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/pki/tls/certs", "/etc/pki/tls/openssl.cnf", "/etc/pki/ca-trust/extracted", "/etc/localtime"];

export interface InsideUser {
  uid: number;
  gid: number;
}

/** The user processes run as inside: 1000 when the portal runs as root (never root inside), else the portal's own. */
export function insideUser(): InsideUser {
  const root = process.getuid?.() === 0;
  return root ? { uid: 1000, gid: 1000 } : { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
}

/**
 * Writes the sandbox's own /etc files into `dir`. `resolvConf` says which resolver a sandbox
 * asks: slirp4netns's forwarder with public egress, none without, this machine's own when
 * sandboxes share its network.
 */
export function writeMinimalEtc(dir: string, user: InsideUser, resolvConf: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const files: Record<(typeof WRITTEN)[number], string> = {
    passwd: `attendee:x:${user.uid}:${user.gid}:Workshop attendee:/nonexistent:/bin/sh\n`,
    group: `attendee:x:${user.gid}:\n`,
    hosts: "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "resolv.conf": resolvConf,
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
  };
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
}
