// What the portal says, and whether it deploys, for each part of an environment's isolation
// this machine can or cannot provide; and what a sandbox sees of the file system.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LocalConfig } from "@/lib/config";
import type { CgroupLayout } from "./caps";
import { isolationFrom, type IsolationProbes } from "./isolation";
import { insideUser, writeMinimalEtc } from "./minimal-etc";
import type { NetworkTools } from "./network";
import { probeSandbox, sandboxed } from "./sandbox";

const tools: NetworkTools = { ip: "/usr/sbin/ip", nsenter: "/usr/bin/nsenter", unshare: "/usr/bin/unshare", slirp4netns: "/usr/bin/slirp4netns", searchPath: "/usr/bin:/bin" };
const layout: CgroupLayout = { mode: "cgroup-v1", memory: "/sys/fs/cgroup/memory/p", cpu: "/sys/fs/cgroup/cpu/p" };
const everything: IsolationProbes = { sandbox: { bwrap: "/usr/bin/bwrap" }, network: { tools }, caps: { layout } };
const settings: Pick<LocalConfig, "isolation" | "egress" | "accept" | "cpus"> = { isolation: "sandbox", egress: "public", accept: [], cpus: 2 };
const part = (probes: IsolationProbes, s = settings) => Object.fromEntries(isolationFrom(s, probes).parts.map((p) => [p.part, p]));

describe("local isolation", () => {
  it("deploys when this machine provides every part, and says what each gives", () => {
    const said = isolationFrom(settings, everything);
    expect(said.deploysAllowed).toBe(true);
    expect(said.parts.map((p) => [p.part, p.state])).toEqual([["sandbox", "ok"], ["network", "ok"], ["caps", "ok"]]);
    expect(part(everything).network.message).toContain("through slirp4netns");
    expect(part(everything, { ...settings, egress: "none" }).network.message).toContain("no way out (PORTAL_LOCAL_EGRESS=none)");
    expect(part(everything).caps.message).toContain("cgroup-v1");
  });

  it("refuses deploys when bubblewrap is not installed, and says how to fix it", () => {
    const said = isolationFrom(settings, { ...everything, sandbox: probeSandbox(null) });
    expect(said.deploysAllowed).toBe(false);
    expect(part({ ...everything, sandbox: probeSandbox(null) }).sandbox.message).toMatch(/bubblewrap \(bwrap\) is not installed.*PORTAL_LOCAL_ISOLATION=none/);
  });

  it("refuses deploys when the kernel will not let bubblewrap make a sandbox, with the kernel's words", () => {
    // A bwrap that fails as it does where unprivileged user namespaces are turned off.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-bwrap-"));
    const refusing = path.join(dir, "bwrap");
    fs.writeFileSync(refusing, "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n", { mode: 0o755 });
    try {
      const probes = { ...everything, sandbox: probeSandbox(refusing) };
      expect(isolationFrom(settings, probes).deploysAllowed).toBe(false);
      expect(part(probes).sandbox.message).toContain("setting up uid map: Permission denied");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses deploys without a network namespace, unless sharing this machine's network is accepted, which it then says", () => {
    const probes = { ...everything, network: { tools: null, error: "slirp4netns is not installed" } };
    expect(isolationFrom(settings, probes).deploysAllowed).toBe(false);
    expect(part(probes).network).toMatchObject({ state: "missing", message: expect.stringMatching(/slirp4netns is not installed.*apt-get install slirp4netns.*PORTAL_LOCAL_EGRESS=none.*PORTAL_LOCAL_ACCEPT=shared-network/) });
    const accepted: typeof settings = { ...settings, accept: ["shared-network"] };
    expect(isolationFrom(accepted, probes).deploysAllowed).toBe(true);
    expect(part(probes, accepted).network).toMatchObject({ state: "weaker", message: expect.stringMatching(/share this machine's network \(PORTAL_LOCAL_ACCEPT=shared-network/) });
  });

  it("refuses deploys without caps, unless running uncapped is accepted, which it then says", () => {
    const probes = { ...everything, caps: { layout: null, error: "the portal cannot make cgroup-v2 groups here (EACCES)" } };
    expect(isolationFrom(settings, probes).deploysAllowed).toBe(false);
    expect(part(probes).caps).toMatchObject({ state: "missing", message: expect.stringMatching(/EACCES.*Delegate=yes.*PORTAL_LOCAL_ACCEPT=uncapped/) });
    const accepted: typeof settings = { ...settings, accept: ["uncapped"] };
    expect(isolationFrom(accepted, probes).deploysAllowed).toBe(true);
    expect(part(probes, accepted).caps).toMatchObject({ state: "weaker", message: expect.stringContaining("not capped (PORTAL_LOCAL_ACCEPT=uncapped") });
  });

  it("deploys unisolated only when PORTAL_LOCAL_ISOLATION=none says this is a single-user machine", () => {
    const said = isolationFrom({ ...settings, isolation: "none" }, { sandbox: probeSandbox(null), network: { tools: null }, caps: { layout: null } });
    expect(said).toMatchObject({ mode: "none", deploysAllowed: true, bwrap: null, network: null, caps: null });
    expect(said.parts[0].message).toContain("single-user");
  });
});

describe("what a sandbox sees", () => {
  const bwrap = execFileSync("bash", ["-c", "command -v bwrap"], { encoding: "utf8" }).trim();

  function inSandbox(script: string, readOnly: string[], envDir: string, etcDir: string): string {
    const { command, args } = sandboxed(bwrap, { envDir, etcDir, readOnly }, "/bin/sh", ["-c", script], envDir);
    return execFileSync(command, args, { encoding: "utf8" });
  }

  it("sees read-only folders that live under /tmp (a CI clone's Python env and notebooks), beside its own /tmp", () => {
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-ro-"));
    const envDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-env-"));
    const hostOnly = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-host-"));
    const etcDir = path.join(envDir, "etc");
    writeMinimalEtc(etcDir, insideUser(), "");
    fs.writeFileSync(path.join(shared, "notebook.txt"), "the workshop's notebook");
    try {
      expect(inSandbox(`cat ${shared}/notebook.txt`, [shared], envDir, etcDir)).toBe("the workshop's notebook");
      // Its /tmp is its own: the host's other temporary files are not there.
      expect(inSandbox("ls /tmp", [shared], envDir, etcDir)).not.toContain(path.basename(hostOnly));
    } finally {
      for (const dir of [shared, envDir, hostOnly]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has an /etc of the portal's making: the inside user, DNS, the CA certificates, and no shadow", () => {
    const envDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-env-"));
    const etcDir = path.join(envDir, "etc");
    writeMinimalEtc(etcDir, insideUser(), "nameserver 10.0.2.3\n");
    try {
      const listed = inSandbox("ls -A /etc; echo ---; ls /etc/ssl; echo ---; id -un; cat /etc/resolv.conf; test -e /etc/shadow && echo shadow || echo no-shadow", [], envDir, etcDir);
      const [etc, ssl, rest] = listed.split("---\n");
      const hostHas = (p: string) => fs.existsSync(p);
      const expected = ["group", "hosts", "nsswitch.conf", "passwd", "resolv.conf", ...(hostHas("/etc/ssl/certs") ? ["ssl"] : []), ...(hostHas("/etc/localtime") ? ["localtime"] : [])];
      expect(etc.trim().split("\n").sort()).toEqual(expected.sort());
      if (hostHas("/etc/ssl/certs")) expect(ssl.trim().split("\n")).toEqual(["certs", "openssl.cnf"].filter((f) => hostHas(`/etc/ssl/${f}`)));
      expect(rest.trim().split("\n")).toEqual(["attendee", "nameserver 10.0.2.3", "no-shadow"]);
    } finally {
      fs.rmSync(envDir, { recursive: true, force: true });
    }
  });
});
