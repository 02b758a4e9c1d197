import "server-only";
import fs from "node:fs";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { AwsAccess } from "@/lib/config";
import { PortalError } from "@/lib/errors";
import { toProviderError } from "@/lib/providers/aws/errors";
import type { BackupFile } from "./copy";

// Copies of the store in the host stack's bucket (cloudformation/portal-host.yaml,
// BackupBucket): encrypted at rest by the bucket's default, versioned, expired by its
// lifecycle rule, reachable over TLS only. The portal's role may put and get objects under
// store/ there and nothing else (portal-access.yaml, KeepTheStoreSafe).

export const keyPrefix = "store/";

/** The bucket's client: the portal's own credentials (its instance role on the host), AWS_ENDPOINT_URL in tests. */
export function backupClient(aws: AwsAccess): S3Client {
  return new S3Client({
    region: aws.region,
    ...(aws.endpoint ? { endpoint: aws.endpoint, forcePathStyle: true } : {}),
    requestHandler: { connectionTimeout: 3000, requestTimeout: 120_000 },
  });
}

export const s3Location = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/** Uploads one local copy as store/<its name>; returns where it went. */
export async function uploadBackup(client: S3Client, bucket: string, backup: BackupFile): Promise<string> {
  const key = `${keyPrefix}${backup.name}`;
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: fs.readFileSync(backup.file),
        ContentType: "application/vnd.sqlite3",
      }),
    );
  } catch (err) {
    const reason = toProviderError(err, `uploading the store to ${s3Location(bucket, key)}`, `arn:aws:s3:::${bucket}/${key}`).message;
    throw new PortalError("unavailable", `The upload to ${s3Location(bucket, key)} failed: ${reason} The store itself is unchanged.`);
  }
  return s3Location(bucket, key);
}

/** Reads s3://bucket/key into `file` (mode 0600). */
export async function downloadBackup(client: S3Client, location: string, file: string): Promise<void> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match) throw new PortalError("bad_request", `${location} is not an s3://bucket/key address.`);
  const [, bucket, key] = match;
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await answer.Body!.transformToByteArray();
    fs.writeFileSync(file, bytes, { mode: 0o600 });
  } catch (err) {
    throw new PortalError("unavailable", `Could not read ${location}: ${toProviderError(err, `reading ${location}`, `arn:aws:s3:::${bucket}/${key}`).message}`);
  }
}
