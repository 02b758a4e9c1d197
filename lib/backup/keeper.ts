import "server-only";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type Database from "better-sqlite3";
import { audit, audited, portalActor, type Actor } from "@/lib/audit";
import type { BackupConfig } from "@/lib/config";
import { PortalError, toPortalError } from "@/lib/errors";
import { copyStore, listBackups, type BackupFile } from "./copy";
import { backupClient, uploadBackup } from "./s3";

/** What the facilitator page shows of the store's safety. */
export interface BackupStatus {
  everyMinutes: number;
  kept: number;
  folder: string;
  bucket: string | null;
  /** Copies on this machine, newest first. */
  copies: Pick<BackupFile, "name" | "at" | "bytes">[];
  lastUpload: { at: string; location: string } | null;
  /** The newest failure not followed by a success of the same kind. */
  failure: { at: string; message: string } | null;
  /** The store lives in memory (tests): there is nothing on disk to copy. */
  inMemory: boolean;
}

export interface BackupDeps {
  config: BackupConfig;
  dataDir: string;
  sqlite: () => Database.Database;
  client?: () => S3Client;
  now?: () => Date;
}

type Where = "local" | "s3";

export const inMemory = "The store lives in memory (a test portal): there is nothing on disk to back up.";

/**
 * Keeps the store safe while the portal runs: a copy on this machine every few minutes,
 * one in the host stack's bucket at the event's end and whenever the facilitator asks.
 * One copy at a time; a failure is shown on the facilitator page and written to the audit
 * log, and never touches the store.
 */
export class BackupKeeper {
  private queue: Promise<unknown> = Promise.resolve();
  private lastUpload: BackupStatus["lastUpload"] = null;
  private failure: { at: string; where: Where; message: string } | null = null;
  private uploadedForEnd: string | null = null;
  /** The event end's upload: the copy it sends, when it last tried, and a try under way. */
  private endTry: { endedAt: string; at: number; copy?: BackupFile; running?: Promise<void> } | null = null;
  private readonly now: () => Date;
  private client?: S3Client;

  constructor(private readonly deps: BackupDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get folder(): string {
    return path.join(this.deps.dataDir, "backups");
  }

  status(): BackupStatus {
    const { config } = this.deps;
    return {
      everyMinutes: config.everyMs / 60_000,
      kept: config.kept,
      folder: this.folder,
      bucket: config.bucket ?? null,
      copies: listBackups(this.folder).map(({ name, at, bytes }) => ({ name, at, bytes })),
      lastUpload: this.lastUpload,
      failure: this.failure && { at: this.failure.at, message: this.failure.message },
      inMemory: this.deps.sqlite().memory,
    };
  }

  /**
   * The timer's copy: a failure is audited as the portal's own, once while it repeats word for
   * word (a full disk would otherwise write an entry every few minutes); a success only shows
   * on the page.
   */
  async scheduled(): Promise<void> {
    if (this.deps.sqlite().memory) return;
    const before = this.failure?.message;
    try {
      await this.copy();
    } catch (err) {
      const message = toPortalError(err).message;
      console.error(message);
      if (message !== before) audit(portalActor, "backup", { target: this.folder, ok: false, detail: message });
    }
  }

  /** The facilitator's "Back up now": a copy here, then to the bucket when there is one. Audited either way. */
  backUpNow(actor: Actor): Promise<{ copy: BackupFile; upload: string | null }> {
    if (this.deps.sqlite().memory) return Promise.reject(new PortalError("bad_request", inMemory));
    return audited(
      actor,
      "backup",
      this.deps.config.bucket ? `s3://${this.deps.config.bucket}` : this.folder,
      async () => {
        const copy = await this.copy();
        return { copy, upload: this.deps.config.bucket ? await this.upload(copy) : null };
      },
      (r) => `${r.copy.name} (${r.copy.bytes} bytes)${r.upload ? `, uploaded to ${r.upload}` : ""}`,
    );
  }

  /**
   * After the event has ended (`endedAt`), once per end and process: a copy to the bucket.
   * Failures are shown and audited like any other. The event-end timer calls this every few
   * seconds: a try under way is not started again, a failed one is tried again no sooner
   * than a scheduled copy would be made, and with the same copy while it is still kept here
   * (a new copy at each try would soon prune every earlier one).
   */
  async atEventEnd(endedAt: string): Promise<void> {
    const { bucket } = this.deps.config;
    if (!bucket || this.uploadedForEnd === endedAt || this.deps.sqlite().memory) return;
    const attempt = this.endTry?.endedAt === endedAt ? this.endTry : (this.endTry = { endedAt, at: -Infinity });
    if (attempt.running) return attempt.running;
    const now = this.now().getTime();
    if (now - attempt.at < this.deps.config.everyMs) return;
    attempt.at = now;
    attempt.running = audited(
      portalActor,
      "backup",
      `s3://${bucket}`,
      async () => {
        const kept = attempt.copy && listBackups(this.folder).some((c) => c.name === attempt.copy!.name);
        const copy = kept ? attempt.copy! : await this.copy();
        attempt.copy = copy;
        return { copy, upload: await this.upload(copy) };
      },
      (r) => `${r.copy.name} (${r.copy.bytes} bytes), uploaded to ${r.upload} at the event's end`,
    ).then(
      () => {
        this.uploadedForEnd = endedAt;
      },
      (err: unknown) => console.error(toPortalError(err).message),
    ).finally(() => {
      attempt.running = undefined;
    });
    return attempt.running;
  }

  private copy(): Promise<BackupFile> {
    return this.serial("local", () => copyStore(this.deps.sqlite(), this.folder, this.now(), this.deps.config.kept));
  }

  private upload(copy: BackupFile): Promise<string> {
    return this.serial("s3", async () => {
      this.client ??= this.deps.client?.() ?? backupClient(this.deps.config.aws!);
      const location = await uploadBackup(this.client, this.deps.config.bucket!, copy);
      this.lastUpload = { at: this.now().toISOString(), location };
      return location;
    });
  }

  private serial<T>(where: Where, work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work).then(
      (result) => {
        if (this.failure?.where === where) this.failure = null;
        return result;
      },
      (err: unknown) => {
        this.failure = { at: this.now().toISOString(), where, message: toPortalError(err).message };
        throw err;
      },
    );
    this.queue = run.catch(() => undefined);
    return run;
  }
}
