"use client";

import { useRouter } from "next/navigation";
import { backUpNowAction } from "@/app/(facilitator)/actions";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";
import type { BackupStatus } from "@/lib/backup/keeper";

const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
const size = (bytes: number) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

/** The store's safety: its copies on this machine and in the host's bucket, the last failure, and a button for one more. */
export function BackupCard({ status: s }: { status: BackupStatus }) {
  const router = useRouter();
  const { status, pending, run } = useActionStatus();
  const newest = s.copies[0];
  return (
    <section aria-labelledby="backup-heading" className="rounded-lg border border-line bg-card p-4" data-testid="backups">
      <h2 id="backup-heading" className="text-lg font-semibold">Store backups</h2>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-muted">On this machine</dt>
          <dd data-testid="backup-local">
            {newest
              ? `Newest ${when(newest.at)} (${size(newest.bytes)}), ${s.copies.length} of at most ${s.kept} kept in ${s.folder}; one every ${s.everyMinutes} min.`
              : `No copy yet; one every ${s.everyMinutes} min into ${s.folder}.`}
          </dd>
        </div>
        <div>
          <dt className="text-muted">In S3</dt>
          <dd data-testid="backup-bucket">
            {!s.bucket
              ? "No bucket (PORTAL_BACKUP_BUCKET is unset): copies stay on this machine."
              : s.lastUpload
                ? `Last upload ${when(s.lastUpload.at)} to ${s.lastUpload.location}; again at the event's end.`
                : `To s3://${s.bucket} at the event's end and when you back up now.`}
          </dd>
        </div>
      </dl>
      {s.failure && (
        <p role="alert" className="mt-3 text-bad" data-testid="backup-failure">
          The last backup failed ({when(s.failure.at)}): {s.failure.message}
        </p>
      )}
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <button
          type="button"
          data-testid="backup-now"
          disabled={pending}
          onClick={() =>
            run(
              async () => {
                const result = await backUpNowAction();
                router.refresh();
                return result;
              },
              (r) => `Backed up as ${r.name}${r.upload ? ` and uploaded to ${r.upload}` : ""}.`,
            )
          }
          className="rounded-md border border-line px-3 py-1.5"
        >
          {pending ? "Backing up…" : "Back up now"}
        </button>
        <span data-testid="backup-now-status"><ActionStatus status={status} /></span>
      </div>
    </section>
  );
}
