// Starts moto server on a free loopback port and stops it again. Plain ESM so that
// vitest, Playwright and a bare `node` script (Node 20 cannot strip types) share it.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const toolsPython = path.join(repoRoot, ".venv-tools/bin/python");

/** Static credentials moto accepts; never real ones. */
export const motoCredentials = { accessKeyId: "testing", secretAccessKey: "testing" };
export const motoRegion = "us-west-2";

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {string} endpoint
 * @param {number} timeoutMs
 */
async function waitUntilAnswering(endpoint, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts moto (run `make tools` first) on 127.0.0.1 through test/moto/server.py, which adds
 * what CloudFormation enforces and moto does not (capabilities, the stack's deploy role). With
 * `iam`, test/moto/iam_server.py instead: IAM enforced from the start
 * (INITIAL_NO_AUTH_ACTION_COUNT=0) and resource scopes evaluated for the portal's calls; see
 * setIamEnforcement.
 * @param {{ port?: number, timeoutMs?: number, iam?: boolean }} [options]
 * @returns {Promise<{ endpoint: string, port: number, pid: number, stop: () => Promise<void> }>}
 */
export async function startMoto(options = {}) {
  const port = options.port ?? (await freePort());
  const args = ["-H", "127.0.0.1", "-p", String(port)];
  const child = options.iam
    ? spawn(toolsPython, [path.join(repoRoot, "test/moto/iam_server.py"), ...args], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: "0" },
      })
    : spawn(toolsPython, [path.join(repoRoot, "test/moto/server.py"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitUntilAnswering(endpoint, options.timeoutMs ?? 30_000),
      exited.then(() => {
        throw new Error(`moto_server exited early: ${stderr}`);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { endpoint, port, pid: child.pid ?? -1, stop };
}

/**
 * Makes a template deployable on moto (see test/moto/moto_template.py for exactly what
 * changes and why). Returns the template as JSON text.
 * @param {string} templateBody
 * @returns {string}
 */
export function motoTemplateTransform(templateBody) {
  const result = spawnSync(toolsPython, [path.join(repoRoot, "test/moto/moto_template.py")], {
    input: templateBody,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`moto_template.py failed: ${result.stderr || result.error}`);
  return result.stdout;
}

/**
 * Turns moto's IAM enforcement on or off (moto's /moto-api/reset-auth): off while the
 * harness plays the administrator or Fargate with its fixed test credentials, on while the
 * portal acts.
 * @param {string} endpoint
 * @param {boolean} on
 */
export async function setIamEnforcement(endpoint, on) {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: "POST", body: on ? "0" : "inf" });
  if (!response.ok) throw new Error(`reset-auth failed: ${response.status}`);
}
