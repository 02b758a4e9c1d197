// What the portal says, and whether it deploys, when bubblewrap cannot isolate environments.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isolation, probeSandbox } from "./sandbox";

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
});
