import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { PortalConfig } from "@/lib/config";
import { beginRehearsal, finishRehearsal, runningRehearsal } from "@/lib/db/rehearsal-queries";
import type { RehearsalRow } from "@/lib/db/schema";
import { PortalError, toPortalError } from "@/lib/errors";
import { pollUntil } from "@/lib/poller";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type Provider, type TaskState } from "@/lib/providers/contract";
import { freshPhases, REHEARSAL_ATTENDEE_ID, type PhaseName, type RehearsalFailure, type RehearsalView } from "./phases";
import { renderReport } from "./report";
import { parseSummaryLine } from "./summary";

// The dress rehearsal: the day before the room, the portal deploys one attendee
// environment for a reserved identity, waits for its scheduler and workers, runs the
// workshop notebook headless against it (one month of ERA5), tears it down and writes a
// report. Whatever fails, what it created is torn down and the report says which phase
// failed and why. The environment is not an attendee's: it has no attendee or
// environment row (rosters, limits, costs and reconciliation skip it), only a row in
// `rehearsals`, which also keeps a second rehearsal from starting while one runs.


export interface RehearsalSettings {
  dataDir: string;
  /** The event's ERA5 months (YYYYMM); the rehearsal reads January of the first one's year (2021 without any). */
  era5Months?: string[];
  /** How long each phase may take before the rehearsal calls it failed. */
  limits: Record<PhaseName, number>;
  pollMs: number;
}

export const defaultLimits: Record<PhaseName, number> = {
  stack: 30 * 60_000,
  tasks: 15 * 60_000,
  notebook: 30 * 60_000,
  teardown: 30 * 60_000,
};

/** The rehearsal's settings from the portal's configuration: the AWS provider reads the event's ERA5 months. */
export function rehearsalSettings(config: PortalConfig): RehearsalSettings {
  return { dataDir: config.dataDir, era5Months: config.aws?.era5Months, limits: defaultLimits, pollMs: config.aws ? 10_000 : 1_000 };
}

export interface RehearsalDeps {
  provider: Provider;
  settings: RehearsalSettings;
  /** Waits between reads (tests settle the fake platform here). */
  wait?: (ms: number) => Promise<void>;
  now?: () => Date;
}

export interface RehearsalListener {
  /** The rehearsal changed (a phase began or ended, it finished). */
  onView(view: RehearsalView): void;
  /** A line of the notebook run's log. */
  onLog(line: { at: string; text: string; key: string }): void;
}

export interface RehearsalStart {
  started: boolean;
  view: RehearsalView;
  message: string;
  /** Settles when the rehearsal has finished and its report is written (started only). */
  done?: Promise<RehearsalView>;
}

class PhaseFailure extends Error {
  constructor(
    message: string,
    readonly extra: Pick<RehearsalFailure, "exitCode" | "stoppedReason"> = {},
  ) {
    super(message);
  }
}

export const unavailableMessage =
  "The dress rehearsal runs with the local provider, or the AWS provider in event mode (it needs the event stack's bucket and network).";

/** January of the event's first ERA5 year, or of 2021 (the sample data's year) without one. */
export function rehearsalMonth(era5Months?: string[]): { year: number; month: number } {
  const first = era5Months?.[0];
  return { year: first ? Number(first.slice(0, 4)) : 2021, month: 1 };
}

function viewOfRow(row: RehearsalRow): RehearsalView {
  return {
    id: row.id,
    status: row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt ?? undefined,
    startedBy: row.startedBy,
    provider: row.provider,
    stackName: row.stackName,
    months: [],
    phases: freshPhases(),
    ...(row.failedPhase ? { failure: { phase: row.failedPhase as PhaseName, reason: row.reason ?? "" } } : {}),
    reportPath: row.reportPath ?? undefined,
  };
}

/**
 * Starts a rehearsal unless one runs (here or in another process sharing the store): then
 * nothing starts and the answer says so. A row left running by a process that died
 * longer ago than every phase's limit together is closed as abandoned first.
 */
export function startRehearsal(deps: RehearsalDeps, startedBy: string, listener: RehearsalListener): RehearsalStart {
  const { provider, settings } = deps;
  const tools = provider.rehearsal;
  if (!tools) {
    throw new PortalError("bad_request", unavailableMessage);
  }
  const now = deps.now ?? (() => new Date());
  const stale = runningRehearsal();
  const allLimits = Object.values(settings.limits).reduce((a, b) => a + b, 0);
  if (stale && now().getTime() - Date.parse(stale.startedAt) > allLimits + 10 * 60_000) {
    finishRehearsal(stale.id, {
      status: "failed",
      finishedAt: now().toISOString(),
      failedPhase: "stack",
      reason: `abandoned: the process running it stopped; check that stack ${stale.stackName} is gone`,
    });
  }
  const { row, started } = beginRehearsal({
    id: randomUUID(),
    startedAt: now().toISOString(),
    startedBy,
    provider: provider.name,
    stackName: `dask-rehearsal-${randomBytes(3).toString("hex")}`,
  });
  if (!started) {
    return {
      started: false,
      view: viewOfRow(row),
      message: `A rehearsal is already running (started ${row.startedAt} by ${row.startedBy}, stack ${row.stackName}); nothing new was started.`,
    };
  }
  const { year, month } = rehearsalMonth(settings.era5Months);
  const view: RehearsalView = { ...viewOfRow(row), months: [`${year}${String(month).padStart(2, "0")}`] };
  const done = execute(deps, tools, view, { year, month }, listener, now);
  return { started: true, view: structuredClone(view), message: `The rehearsal started: stack ${row.stackName}.`, done };
}

async function execute(
  deps: RehearsalDeps,
  tools: NonNullable<Provider["rehearsal"]>,
  view: RehearsalView,
  read: { year: number; month: number },
  listener: RehearsalListener,
  now: () => Date,
): Promise<RehearsalView> {
  const { provider, settings } = deps;
  const ref: EnvironmentRef = { id: view.id, stackName: view.stackName, attendeeId: REHEARSAL_ATTENDEE_ID, attendeeEmail: "rehearsal@portal.invalid" };
  const publish = () => listener.onView(structuredClone(view));
  /** The snapshot with the most tasks seen, for the cost (the last one may have none left). */
  let costSnapshot: EnvironmentSnapshot | undefined;
  let notebookTask: TaskState | undefined;

  const phaseOf = (name: PhaseName) => view.phases.find((p) => p.name === name)!;

  async function phase(name: PhaseName, work: () => Promise<string>): Promise<void> {
    const p = phaseOf(name);
    p.status = "running";
    p.startedAt = now().toISOString();
    publish();
    try {
      p.detail = await work();
      p.status = "done";
    } catch (error) {
      const reason = error instanceof PhaseFailure ? error.message : toPortalError(error).message;
      p.status = "failed";
      p.detail = reason;
      view.failure ??= { phase: name, reason, ...(error instanceof PhaseFailure ? error.extra : {}) };
      throw error;
    } finally {
      p.endedAt = now().toISOString();
      p.seconds = (Date.parse(p.endedAt) - Date.parse(p.startedAt)) / 1000;
      publish();
    }
  }

  /** Reads the environment until `done` holds; fails at once when `failed` names a reason, or at the phase's limit. */
  async function until(name: PhaseName, done: (s: EnvironmentSnapshot) => boolean, failed: (s: EnvironmentSnapshot) => string | null): Promise<EnvironmentSnapshot> {
    const deadline = now().getTime() + settings.limits[name];
    return pollUntil({
      read: () => provider.describe(ref),
      everyMs: settings.pollMs,
      wait: deps.wait,
      settle: (s) => {
        if (s.tasks.length >= (costSnapshot?.tasks.length ?? 0)) costSnapshot = s;
        if (done(s)) return s;
        const reason = failed(s);
        if (reason) throw new PhaseFailure(reason);
        if (now().getTime() > deadline) {
          const stopped = s.tasks.filter((t) => t.stoppedReason).map((t) => `${t.role} ${t.id}: ${t.stoppedReason}`);
          throw new PhaseFailure(`not done within ${Math.round(settings.limits[name] / 60_000)} min; stack ${s.status}${stopped.length ? `; stopped tasks: ${stopped.join("; ")}` : ""}`);
        }
        return undefined;
      },
    });
  }

  const running = (s: EnvironmentSnapshot, role: "scheduler" | "worker") => s.tasks.filter((t) => t.role === role && t.lastStatus === "RUNNING").length;
  let deployAsked = false;
  try {
    await phase("stack", async () => {
      deployAsked = true;
      await provider.deploy(ref, { workers: provider.defaultWorkers });
      const s = await until(
        "stack",
        (x) => x.status === "CREATE_COMPLETE",
        (x) => (x.status.endsWith("FAILED") || x.status.includes("ROLLBACK") || x.status.startsWith("DELETE") ? `${x.status}${x.reason ? `: ${x.reason}` : ""}` : null),
      );
      return `${s.status} (${s.progress.done}/${s.progress.total} resources)`;
    });
    await phase("tasks", async () => {
      const s = await until(
        "tasks",
        (x) => running(x, "scheduler") >= 1 && running(x, "worker") >= Math.max(1, x.desiredWorkers),
        (x) => (x.status.startsWith("DELETE") || x.status.endsWith("FAILED") ? `the stack is ${x.status}${x.reason ? `: ${x.reason}` : ""}` : null),
      );
      return `scheduler and ${running(s, "worker")} worker(s) RUNNING`;
    });
    await phase("notebook", async () => {
      const onLog = (line: { at: string; text: string; key: string }) => {
        const summary = parseSummaryLine(line.text);
        if (summary) view.summary = summary;
        listener.onLog(line);
      };
      const run = await tools.runNotebook(ref, { years: [read.year], months: [read.month], onLog, timeoutMs: settings.limits.notebook });
      notebookTask = run.task;
      if (!run.ok) {
        const extra = { exitCode: run.exitCode, ...(run.stoppedReason ? { stoppedReason: run.stoppedReason } : {}) };
        throw new PhaseFailure(`the notebook run failed (exit code ${run.exitCode ?? "none"}${run.stoppedReason ? `; ${run.stoppedReason}` : ""})`, extra);
      }
      if (!view.summary) throw new PhaseFailure("the notebook finished but printed no WORKSHOP_SUMMARY line", { exitCode: run.exitCode });
      return `${view.summary.months} month(s), global mean ${view.summary.globalMeanC.toFixed(2)} °C`;
    });
  } catch {
    // The failing phase is recorded; the ones it kept from running are marked skipped.
    for (const p of view.phases) if (p.status === "pending" && p.name !== "teardown") p.status = "skipped";
  }

  try {
    await phase("teardown", async () => {
      if (!deployAsked) return "nothing was created";
      await provider.destroy(ref, "the dress rehearsal");
      try {
        const s = await until(
          "teardown",
          (x) => x.status === "DELETE_COMPLETE",
          (x) => (x.status === "DELETE_FAILED" ? `DELETE_FAILED${x.reason ? `: ${x.reason}` : ""}` : null),
        );
        return `${s.status}`;
      } catch (error) {
        // A stack the backend no longer knows is gone too.
        if (ProviderError.is(error) && error.code === "not_found") return "DELETE_COMPLETE (gone)";
        throw error;
      }
    });
  } catch {
    // Recorded on the phase and in view.failure.
  }

  view.cost = costOf(provider, view, costSnapshot, notebookTask);
  view.imagePull = slowestPull([...(costSnapshot?.tasks ?? []), ...(notebookTask ? [notebookTask] : [])]);
  view.status = view.failure ? "failed" : "passed";
  view.finishedAt = now().toISOString();
  view.reportPath = writeReport(settings.dataDir, view);
  finishRehearsal(view.id, {
    status: view.status,
    finishedAt: view.finishedAt,
    failedPhase: view.failure?.phase,
    reason: view.failure?.reason,
    reportPath: view.reportPath,
  });
  publish();
  return structuredClone(view);
}

/** The longest image pull among the tasks, or null when none reported one. */
export function slowestPull(tasks: TaskState[]): RehearsalView["imagePull"] {
  const timed = tasks.filter((t) => t.pullSeconds !== undefined).sort((a, b) => (b.pullSeconds ?? 0) - (a.pullSeconds ?? 0));
  return timed[0] ? { seconds: timed[0].pullSeconds ?? 0, role: timed[0].role } : null;
}

function costOf(provider: Provider, view: RehearsalView, snapshot: EnvironmentSnapshot | undefined, task: TaskState | undefined): RehearsalView["cost"] {
  const stack = view.phases[0];
  if (!snapshot || !stack.startedAt) return undefined;
  const createdAt = stack.startedAt;
  const deletedAt = view.phases.find((p) => p.name === "teardown")?.endedAt ?? view.finishedAt ?? null;
  const { usage } = provider;
  const environment = usage.measure({ snapshot, createdAt, deletedAt });
  const notebookTask = task ? usage.oneOffTask(task) : 0;
  const total = Math.round((environment + notebookTask) * 10_000) / 10_000;
  return { unit: usage.unit, environment, notebookTask, total, ...(usage.prices ? { prices: usage.prices } : {}) };
}

/** Writes the report under <dataDir>/rehearsals/, named by the rehearsal's start. */
function writeReport(dataDir: string, view: RehearsalView): string {
  const dir = path.join(dataDir, "rehearsals");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${view.startedAt.replace(/[:.]/g, "-")}.md`);
  fs.writeFileSync(file, renderReport({ ...view, reportPath: file }), { mode: 0o600 });
  return file;
}

/** The newest report's Markdown, or null without one (the facilitator's card shows it). */
export function readReport(file: string | null | undefined, dataDir: string): string | null {
  if (!file) return null;
  const dir = path.resolve(dataDir, "rehearsals");
  const resolved = path.resolve(file);
  if (path.dirname(resolved) !== dir || !fs.existsSync(resolved)) return null;
  return fs.readFileSync(resolved, "utf8");
}
