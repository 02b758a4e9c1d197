import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { repoPath } from "@/lib/config";

// The pins hash: the first 12 hex characters of the SHA-256 of docker/requirements.txt's
// bytes. The Dockerfile labels the image with it (org.dask-workshop.pins), the CodeBuild
// buildspec (docker/buildspec.yml) computes it the same way and tags the image
// pins-<hash>, so the portal can tell whether an image carries the pins this checkout has.

export const pinsFile = ["docker", "requirements.txt"] as const;
const hashLength = 12;

/** The hash of some requirements bytes, as docker/buildspec.yml computes it. */
export function hashPins(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, hashLength);
}

/** The image tag for a pins hash. */
export function pinsTag(hash: string): string {
  return `pins-${hash}`;
}

/** The pins hash an image reference's tag names, if it follows the convention. */
export function pinsOfImage(image: string): string | undefined {
  return /:pins-([0-9a-f]{12})$/.exec(image)?.[1];
}

let cached: Promise<string> | undefined;

/** This checkout's pins hash (read once; a failed read is tried again next time). */
export function pinsHash(): Promise<string> {
  cached ??= readFile(repoPath(...pinsFile)).then(hashPins, (error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

let known: string | null | undefined;

/**
 * The same hash read synchronously, for places that build a view without awaiting (the room
 * stream, pages); null when the file cannot be read, and then the pins warnings stay quiet.
 */
export function portalPins(): string | null {
  if (known === undefined) {
    try {
      known = hashPins(readFileSync(repoPath(...pinsFile)));
    } catch {
      known = null;
    }
  }
  return known;
}
