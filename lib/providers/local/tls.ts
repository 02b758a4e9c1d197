import "server-only";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

// Each environment's Dask comms speak TLS with certificates of its own: a CA made for that
// environment alone signs one certificate its scheduler, workers and notebook kernel all
// present. A scheduler asks every peer for a certificate from its own CA, so a client
// holding another environment's files (or none) is turned away.

const run = promisify(execFile);

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Where an environment keeps its TLS files (inside its own folder, mode 0600). */
export function tlsFiles(envDir: string): TlsFiles {
  const dir = path.join(envDir, "tls");
  return { ca: path.join(dir, "ca.pem"), cert: path.join(dir, "tls.pem"), key: path.join(dir, "tls.key") };
}

const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30"];

/**
 * Makes the CA and the environment's certificate with the openssl CLI (the Python env has no
 * `cryptography`). The CA's key is deleted once it has signed: nothing can sign another.
 */
export async function createTlsFiles(envDir: string, envId: string): Promise<TlsFiles> {
  const files = tlsFiles(envDir);
  const dir = path.dirname(files.ca);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, "ca.key");
  try {
    await run("openssl", ["req", "-x509", ...KEY_ARGS, "-keyout", caKey, "-out", files.ca, "-subj", `/CN=dask-ca-${envId}`]);
    await run("openssl", [
      "req", "-x509", "-CA", files.ca, "-CAkey", caKey, ...KEY_ARGS,
      "-keyout", files.key, "-out", files.cert, "-subj", `/CN=dask-${envId}`,
      "-addext", "subjectAltName=IP:127.0.0.1",
      "-addext", "extendedKeyUsage=serverAuth,clientAuth",
      "-addext", "basicConstraints=critical,CA:FALSE",
    ]);
  } catch (err) {
    throw new Error(`Could not make the environment's TLS certificates with openssl: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    fs.rmSync(caKey, { force: true });
  }
  for (const file of Object.values(files)) fs.chmodSync(file, 0o600);
  return files;
}

/** Dask's own settings for a client or kernel of this environment (read by distributed's Security()). */
export function daskTlsEnv(files: TlsFiles): Record<string, string> {
  return {
    DASK_DISTRIBUTED__COMM__TLS__CA_FILE: files.ca,
    DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT: files.cert,
    DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY: files.key,
    DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION: "True",
  };
}

/** The `dask scheduler` / `dask worker` flags for the same files. */
export function daskTlsArgs(files: TlsFiles): string[] {
  return ["--tls-ca-file", files.ca, "--tls-cert", files.cert, "--tls-key", files.key];
}
