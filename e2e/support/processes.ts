import fs from "node:fs";

/**
 * The processes of this portal's environments: they carry the portal's data folder and their
 * environment's id in their environment. The room's seed (lib/providers/local/seed.ts) carries
 * the folder only: it is the portal's own, as the portal is, and ends with it.
 */
export function environmentProcessesOf(dataDir: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string[];
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
    } catch {
      continue; // gone meanwhile
    }
    if (environ.includes(`PORTAL_OWNER_DIR=${dataDir}`) && environ.some((v) => v.startsWith("PORTAL_ENVIRONMENT_ID="))) found.push(Number(entry));
  }
  return found;
}
