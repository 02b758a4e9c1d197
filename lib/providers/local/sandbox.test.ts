// What the portal says, and whether it deploys, when bubblewrap cannot isolate environments.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { isolation, probeSandbox, sandboxed } from "./sandbox";

describe("local isolation", () => {
  it("refuses deploys when bubblewrap is not installed, and says how to fix it", () => {
    const said = isolation("sandbox", () => probeSandbox(null));
    expect(said.deploysAllowed).toBe(false);
    expect(said.message).toContain("bubblewrap (bwrap) is not installed");
    expect(said.message).toContain("PORTAL_LOCAL_ISOLATION=none");
  });

  it("refuses deploys when the kernel will not let bubblewrap make a sandbox, with the kernel's words", () => {
    // A bwrap that fails as it does where unprivileged user namespaces are turned off.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-bwrap-"));
    const refusing = path.join(dir, "bwrap");
    fs.writeFileSync(refusing, "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n", { mode: 0o755 });
    try {
      const said = isolation("sandbox", () => probeSandbox(refusing));
      expect(said.deploysAllowed).toBe(false);
      expect(said.message).toContain("setting up uid map: Permission denied");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("deploys unisolated only when PORTAL_LOCAL_ISOLATION=none says this is a single-user machine", () => {
    const said = isolation("none", () => probeSandbox(null));
    expect(said).toMatchObject({ mode: "none", deploysAllowed: true });
    expect(said.message).toContain("single-user");
  });

  it("sees read-only folders that live under /tmp (a CI clone's Python env and notebooks), beside its own /tmp", () => {
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-ro-"));
    const envDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-env-"));
    const hostOnly = fs.mkdtempSync(path.join(os.tmpdir(), "portal-sandbox-host-"));
    fs.writeFileSync(path.join(shared, "notebook.txt"), "the workshop's notebook");
    const bwrap = execFileSync("bash", ["-c", "command -v bwrap"], { encoding: "utf8" }).trim();
    const run = (script: string) => {
      const { command, args } = sandboxed(bwrap, { envDir, readOnly: [shared] }, "/bin/sh", ["-c", script], envDir);
      return execFileSync(command, args, { encoding: "utf8" });
    };
    try {
      expect(run(`cat ${shared}/notebook.txt`)).toBe("the workshop's notebook");
      // Its /tmp is its own: the host's other temporary files are not there.
      expect(run("ls /tmp")).not.toContain(path.basename(hostOnly));
    } finally {
      for (const dir of [shared, envDir, hostOnly]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
