// `make restore FROM=…`: makes a copy of the store (a file, or s3://bucket/store/portal-….sqlite)
// the portal's store again, with the portal's configuration (PORTAL_DATA_DIR, PORT, AWS_*).
// The portal must be stopped; the store that was there is kept aside (docs/hosting.md, "Restore").
// Exits 0 when it worked, 1 when it did not (with why), 2 when the portal is running.
// Run with `node --conditions=react-server --import tsx` so the portal's server-only modules load.
import fs from "node:fs";
import path from "node:path";
import { restoreStore } from "@/lib/backup/restore";
import { backupClient, downloadBackup } from "@/lib/backup/s3";
import { awsAccess, portalConfig } from "@/lib/config";

async function portalAnswers(port: string): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

async function restore(source: string | undefined): Promise<number> {
  if (!source) throw new Error("Say what to restore: make restore FROM=<a copy's path, or s3://bucket/store/portal-….sqlite>.");
  const port = process.env.PORT || "3000";
  if (await portalAnswers(port)) {
    console.error(`The portal answers on port ${port}: stop it first (systemctl stop dask-portal), then restore.`);
    return 2;
  }
  const { dataDir } = portalConfig();
  let file = source;
  if (source.startsWith("s3://")) {
    file = path.join(dataDir, "backups", `downloaded-${path.basename(source)}`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    await downloadBackup(backupClient(awsAccess()), source, file);
  }
  const restored = await restoreStore(file, dataDir);
  console.log(
    `Restored ${source} into ${dataDir} (schema version ${restored.version}).` +
      (restored.previous ? ` The store that was there is kept as ${restored.previous}.` : ""),
  );
  return 0;
}

restore(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
