import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { test as base } from "./fixtures";
import { freshDataDir, PortalServer } from "./portal-server";

export interface MotoStarted {
  endpoint: string;
  /** moto_server's own pid, so a harness that dies hard does not leave it behind. */
  pid: number;
  /** What the portal needs to deploy into this moto (PORTAL_PROVIDER=aws, event mode, …). */
  env: Record<string, string>;
}

/**
 * Moto with the event stack deployed and the Fargate player running
 * (`node test/moto/cli.mjs start --play-every MS`): the harness starts a service's tasks
 * and writes their start-up log lines, as Fargate and the awslogs driver would on AWS.
 */
export class MotoHarness {
  private child?: ChildProcess;
  private started?: MotoStarted;
  readonly output: string[] = [];

  constructor(
    private readonly playEveryMs = 1000,
    private readonly extraArgs: string[] = [],
  ) {}

  async start(): Promise<MotoStarted> {
    const child = spawn(process.execPath, [path.join("test", "moto", "cli.mjs"), "start", "--play-every", String(this.playEveryMs), ...this.extraArgs], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stderr?.on("data", (d) => this.output.push(String(d)));
    this.started = await new Promise<MotoStarted>((resolve, reject) => {
      let buffered = "";
      const timer = setTimeout(() => reject(new Error(`moto did not start within 60 s:\n${this.output.join("")}`)), 60_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`moto harness exited with ${code}:\n${this.output.join("")}`));
      });
      child.stdout?.on("data", (d) => {
        buffered += String(d);
        const newline = buffered.indexOf("\n");
        if (newline < 0) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(buffered.slice(0, newline)) as MotoStarted);
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.started;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The harness did not stop moto itself; end both by pid.
    child.kill("SIGKILL");
    if (this.started?.pid) {
      try {
        process.kill(this.started.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/** One harness command (test/moto/cli.mjs) against this run's moto, e.g. "log" or "stop-task"; returns what it printed. */
export function harness(moto: MotoStarted, command: string, args: Record<string, string>): string {
  const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]);
  return execFileSync(process.execPath, ["test/moto/cli.mjs", command, "--endpoint", moto.endpoint, ...flags], { stdio: "pipe" }).toString();
}

/**
 * The e2e `test` with a moto server (harness playing Fargate) per worker and the portal
 * pointed at it with PORTAL_PROVIDER=aws; `extraEnv` adds to the harness's settings.
 * `endpointOf` lets a spec put something between the portal and moto (the fault proxy);
 * `harnessArgs` go to `cli.mjs start` (e.g. --pull-from-ecr).
 */
export function testOnMoto(
  name: string,
  extraEnv: Record<string, string> = {},
  endpointOf: (moto: MotoStarted) => Promise<string> = async (moto) => moto.endpoint,
  harnessArgs: string[] = [],
) {
  return base.extend<object, { moto: MotoStarted }>({
    moto: [
      async ({}, use) => {
        const harness = new MotoHarness(1000, harnessArgs);
        try {
          await use(await harness.start());
        } finally {
          await harness.stop();
        }
      },
      { scope: "worker" },
    ],
    portal: [
      async ({ moto }, use, workerInfo) => {
        const endpoint = await endpointOf(moto);
        const server = new PortalServer(freshDataDir(`${name}-w${workerInfo.workerIndex}`), { ...moto.env, AWS_ENDPOINT_URL: endpoint, ...extraEnv });
        try {
          await server.start();
          await use(server);
        } finally {
          await server.stop();
        }
      },
      { scope: "worker" },
    ],
  });
}
