import "server-only";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { repoPath } from "@/lib/config";

// The pins this portal's workshop was written for: the first 12 hex digits of the SHA-256 of
// docker/requirements.txt, the figure the image and the local .venv carry as
// DASK_WORKSHOP_PINS and the progress lines report back.

let cached: string | null | undefined;

/** The hash of this repository's docker/requirements.txt, or null when the file cannot be read. */
export function portalPins(): string | null {
  if (cached === undefined) {
    try {
      cached = createHash("sha256").update(fs.readFileSync(repoPath("docker", "requirements.txt"))).digest("hex").slice(0, 12);
    } catch {
      cached = null;
    }
  }
  return cached;
}
