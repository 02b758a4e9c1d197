import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export const JOIN_CODE = "E2E-JOIN-CODE";
export const FACILITATOR_PASSWORD = "e2e-facilitator-password";

/** A free TCP port on loopback, for a portal or a helper server a test starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`portal exited early:\n${output.join("")}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`portal did not answer /api/health within 60 s:\n${output.join("")}`);
}

async function waitForPort(port: number, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`portal exited early:\n${output.join("")}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the content origin did not listen on port ${port} within 30 s:\n${output.join("")}`);
}

/**
 * The built portal, run the way `make start` runs it (scripts/start.mjs), with its own
 * data folder and port; it can be restarted to prove what survives a restart.
 */
export class PortalServer {
  private child?: ChildProcess;
  readonly output: string[] = [];
  url = "";
  /** The content origin's port (PORTAL_CONTENT_PORT): a free one, not PORT + 1, which another portal may hold. */
  contentPort = 0;

  constructor(
    readonly dataDir: string,
    private readonly extraEnv: Record<string, string> = {},
    /** Another checkout to run (a benchmark's baseline), which may predate the content origin. */
    private readonly checkout: { dir: string; contentOrigin: boolean } = { dir: process.cwd(), contentOrigin: true },
  ) {}

  async start(): Promise<void> {
    // A restart keeps the port, so open pages and the test's baseURL stay valid.
    const port = this.url ? Number(new URL(this.url).port) : await freePort();
    this.url = `http://localhost:${port}`;
    this.contentPort ||= Number(this.extraEnv.PORTAL_CONTENT_PORT ?? (await freePort()));
    fs.mkdirSync(this.dataDir, { recursive: true });
    this.child = spawn(process.execPath, [path.join("scripts", "start.mjs")], {
      cwd: this.checkout.dir,
      env: {
        ...process.env,
        PORT: String(port),
        PORTAL_DATA_DIR: this.dataDir,
        EVENT_JOIN_CODE: JOIN_CODE,
        FACILITATOR_PASSWORD,
        NEXTAUTH_SECRET: "e2e-secret-not-for-production-use-000000",
        NEXTAUTH_URL: this.url,
        PORTAL_CONTENT_PORT: String(this.contentPort),
        // Small workers: the specs of one worker share this portal, and the capacity check
        // (lib/providers/local/capacity.ts) must let their environments in on a smaller CI machine.
        PORTAL_LOCAL_WORKER_MEMORY: "512MiB",
        ...this.extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (d) => this.output.push(String(d)));
    this.child.stderr?.on("data", (d) => this.output.push(String(d)));
    await waitForHealth(this.url, this.child, this.output);
    // The local provider's content origin starts with the runtime, a moment after the portal answers.
    const local = (this.extraEnv.PORTAL_PROVIDER ?? process.env.PORTAL_PROVIDER ?? "local") === "local";
    if (local && this.checkout.contentOrigin) await waitForPort(this.contentPort, this.child, this.output);
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
  }

  /** The content origin as a browser that knows the portal at `portalOrigin` reaches it (port mode). */
  contentOrigin(portalOrigin = this.url): string {
    const url = new URL(portalOrigin);
    return `${url.protocol}//${url.hostname}:${this.contentPort}`;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

export function freshDataDir(name: string): string {
  const dir = path.resolve("test-results", "e2e-data", `${name}-${Date.now()}`);
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s; nothing if it never ran or has ended. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}
