import "server-only";
import { audit, type Actor } from "@/lib/audit";
import { latestEnvironmentOf, liveEnvironmentOf } from "@/lib/db/environment-queries";
import { recordCheckPassed } from "@/lib/db/lab-queries";
import type { EnvironmentSnapshot, Provider } from "@/lib/providers/contract";
import type { RoomSignal } from "@/lib/room/signal";
import { isFailed, isReady } from "@/lib/status";
import type { Watchers } from "@/lib/environments/watchers";
import type { CheckKind } from "./check-kinds";
import { progressWords } from "./progress-line";

export type { CheckKind } from "./check-kinds";

export type CheckResult =
  | { passed: true; passedAt: string; detail: string }
  | { passed: false; message: string; hint: string };

const PERSIST_HINT =
  "Run the notebook through the persist step (section 5) and check again while the data is still in memory, before section 11 releases it.";

const fail = (message: string, hint: string): CheckResult => ({ passed: false, message, hint });

export interface CheckDeps {
  provider: Provider;
  watchers: Watchers;
  signal: RoomSignal;
}

async function liveSnapshot(watchers: Watchers, attendeeId: string): Promise<EnvironmentSnapshot | null> {
  const row = liveEnvironmentOf(attendeeId);
  if (!row) return null;
  return watchers.watch(row).pollNow();
}

/** A message with any ARN or 12-digit account id replaced, for people outside the account. */
export function withoutAccountIds(message: string): string {
  return message.replace(/arn:aws[a-z-]*:[^\s"'(),]+/g, "(an AWS resource)").replace(/\b\d{12}\b/g, "(the account)");
}

/** Each check asks the provider or reads what the scheduler logged; nothing is taken on the attendee's word. */
async function evaluate(deps: CheckDeps, kind: CheckKind, attendeeId: string): Promise<CheckResult | { passed: true; detail: string }> {
  switch (kind) {
    case "tools-ready": {
      const health = await deps.provider.health();
      // An attendee reads this: the cloud's own words, without the account's ids or ARNs.
      const words = withoutAccountIds(health.message);
      return health.ok ? { passed: true, detail: words } : fail(words, "Fix the setup problem above, then check again.");
    }
    case "environment-running": {
      const snap = await liveSnapshot(deps.watchers, attendeeId);
      if (!snap) return fail("You have no environment yet.", "Open My environment and press Deploy.");
      if (!isReady(snap.status)) {
        return fail(`Your stack is ${snap.status}.`, isFailed(snap.status) ? "Delete it and deploy again; the reason is on My environment." : "Wait for CREATE_COMPLETE, then check again.");
      }
      const running = (role: string) => snap.tasks.filter((t) => t.role === role && t.lastStatus === "RUNNING").length;
      if (running("scheduler") !== 1) return fail("The scheduler task is not RUNNING.", "Look at its stopped reason on My environment.");
      if (running("worker") < 1) return fail("No worker is RUNNING.", "Scale the workers to 1 or more.");
      return { passed: true, detail: `scheduler and ${running("worker")} worker(s) RUNNING` };
    }
    case "computation-ran": {
      // Read from the progress lines the scheduler writes to its own log: the portal never
      // needs a network path to the scheduler, on AWS or locally.
      const row = liveEnvironmentOf(attendeeId);
      if (!row) return fail("You have no environment, so nothing has run.", "Deploy your environment, then run the notebook.");
      await deps.watchers.watch(row).pollNow();
      const progress = deps.watchers.progressOf(row.id);
      if (!progress) {
        return fail(
          "Your scheduler has not reported any progress yet.",
          "Wait until your environment is CREATE_COMPLETE and its scheduler log shows a dask-workshop-progress line, then check again.",
        );
      }
      if (progress.tasks === 0) return fail("Your scheduler has not computed anything yet.", PERSIST_HINT);
      if (progress.bytes === 0) {
        return fail(`Your scheduler has computed ${progress.tasks} task(s) but holds no data in the workers' memory.`, PERSIST_HINT);
      }
      return { passed: true, detail: `your scheduler reports ${progressWords(progress)}` };
    }
    case "environment-deleted": {
      const latest = latestEnvironmentOf(attendeeId);
      if (!latest) return fail("You never deployed an environment.", "Nothing to clean up — or deploy one first in Lab 3.");
      if (!latest.deletedAt) return fail(`Your stack is still ${latest.status}.`, "Tear it down on My environment and wait for DELETE_COMPLETE.");
      return { passed: true, detail: "your stack is DELETE_COMPLETE" };
    }
  }
}

export async function runCheck(deps: CheckDeps, actor: Actor, labSlug: string, kind: CheckKind): Promise<CheckResult> {
  const result = await evaluate(deps, kind, actor.id);
  audit(actor, "check", { target: labSlug, ok: result.passed, detail: result.passed ? result.detail : result.message });
  if (!result.passed) return result;
  const passedAt = recordCheckPassed(actor.id, labSlug);
  deps.signal.attendeeChanged(actor.id);
  return { passed: true, passedAt, detail: result.detail };
}
