import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { folderEntries, zip } from "./zip";

describe("zip", () => {
  it("makes an archive Python's zipfile reads back byte for byte, under the folder's name", async () => {
    const entries = await folderEntries(path.resolve("docker"), "docker");
    expect(entries.map((e) => e.name)).toContain("docker/requirements.txt");
    const dir = mkdtempSync(path.join(tmpdir(), "zip-test-"));
    const archive = path.join(dir, "docker.zip");
    writeFileSync(archive, zip(entries));
    const listed = execFileSync("python3", [
      "-c",
      "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor n in z.namelist(): print(n, hashlib.sha256(z.read(n)).hexdigest())",
      archive,
    ], { encoding: "utf8" });
    const requirements = listed.split("\n").find((l) => l.startsWith("docker/requirements.txt "));
    const { createHash } = await import("node:crypto");
    expect(requirements).toBe(`docker/requirements.txt ${createHash("sha256").update(readFileSync("docker/requirements.txt")).digest("hex")}`);
  });
});
