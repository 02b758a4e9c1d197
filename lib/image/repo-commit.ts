import { spawnSync } from "node:child_process";
import { repoPath } from "@/lib/config";
import { hashPins, pinsFile } from "./pins";

// The commit the SageMaker notebooks build their kernel from (the attendee template's
// NotebookRepoCommit): PORTAL_NOTEBOOK_REPO_COMMIT, or the commit this portal runs from. Its
// docker/requirements.txt must hash to the room image's pins, or the kernel and the cluster
// would disagree on package versions; git answers both without the network.

function git(...args: string[]): string | undefined {
  const result = spawnSync("git", args, { cwd: repoPath(), encoding: "utf8", timeout: 10_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The commit this checkout is at, when it is a git checkout. */
export function checkoutCommit(): string | undefined {
  const head = git("rev-parse", "--verify", "HEAD");
  return head && /^[0-9a-f]{40}$/.test(head) ? head : undefined;
}

/** The pins hash of docker/requirements.txt at a commit; undefined when this checkout does not hold that commit. */
export function pinsAtCommit(commit: string): string | undefined {
  if (!/^[0-9a-f]{40}$/.test(commit)) return undefined;
  const result = spawnSync("git", ["show", `${commit}:${pinsFile.join("/")}`], { cwd: repoPath(), timeout: 10_000 });
  return result.status === 0 ? hashPins(result.stdout) : undefined;
}
