import { execFileSync } from "node:child_process";
import path from "node:path";

/**
 * Stops what a test's local environments left on this machine, whatever state the test ended
 * in: their processes, and the network namespaces, control groups and socket folders they held
 * (scripts/stop-local.mjs, as `make stop-local` runs it). Call it before removing the data folder.
 */
export function stopLocal(dataDir: string): void {
  execFileSync(process.execPath, [path.resolve("scripts", "stop-local.mjs"), dataDir], { stdio: "ignore" });
}
