import "server-only";
import { latestReportedRehearsal, runningRehearsal } from "@/lib/db/rehearsal-queries";
import { Channel, type AnySink } from "@/lib/stream/channel";
import type { FrameOf, RehearsalEvents } from "@/lib/stream/protocol";
import type { RehearsalCard, RehearsalView } from "./phases";
import { readReport, startRehearsal, unavailableMessage, type RehearsalDeps, type RehearsalStart } from "./run";

// The facilitator's live view of the dress rehearsal: its phases as they begin and end
// and the notebook run's log, one channel for the process however many pages watch. A
// page that opens mid-rehearsal is greeted with the card, the log so far and the phases.

/** Log lines kept for a page that opens mid-run. */
const keepLines = 2_000;
type Frame = FrameOf<RehearsalEvents>;

export class RehearsalChannel {
  private readonly channel = new Channel<RehearsalEvents>({ keep: keepLines + 50, dropReason: "The rehearsal view fell too far behind; it will reconnect." });
  private current: { view: RehearsalView; frame?: Frame; lines: Frame[] } | null = null;

  constructor(private readonly deps: RehearsalDeps) {}

  subscribe(sink: AnySink, lastEventId: number | null): () => void {
    return this.channel.subscribe(sink, lastEventId, () => [
      { event: "snapshot" as const, data: this.card() },
      ...[...(this.current?.lines ?? []), ...(this.current?.frame ? [this.current.frame] : [])].sort((a, b) => a.id - b.id),
    ]);
  }

  /** Starts a rehearsal unless one runs; its phases and log go to every page watching. */
  start(startedBy: string): RehearsalStart {
    const result = startRehearsal(this.deps, startedBy, {
      onView: (view) => {
        if (this.current?.view.id !== view.id) this.current = { view, lines: [] };
        this.current.view = view;
        this.current.frame = this.channel.publish([{ event: "rehearsal", data: view }])[0];
      },
      onLog: (line) => {
        const current = this.current;
        if (!current) return;
        current.lines.push(...this.channel.publish([{ event: "log", data: { ...line, rehearsal: current.view.id } }]));
        if (current.lines.length > keepLines) current.lines.splice(0, current.lines.length - keepLines);
      },
    });
    if (result.started) {
      this.current = { view: result.view, lines: [] };
      this.current.frame = this.channel.publish([{ event: "rehearsal", data: result.view }])[0];
      // Once the report is written the card shows it.
      void result.done?.then(
        () => this.channel.broadcastState({ event: "snapshot", data: this.card() }),
        (err: unknown) => console.error("the dress rehearsal stopped unexpectedly:", err instanceof Error ? err.message : err),
      );
    }
    return result;
  }

  card(): RehearsalCard {
    const latest = latestReportedRehearsal();
    const markdown = readReport(latest?.reportPath, this.deps.settings.dataDir);
    const elsewhere = runningRehearsal();
    const current = this.current?.view ?? null;
    return {
      current,
      latestReport: latest && markdown ? { startedAt: latest.startedAt, status: latest.status, markdown } : null,
      available: Boolean(this.deps.provider.rehearsal),
      ...(this.deps.provider.rehearsal
        ? elsewhere && elsewhere.id !== current?.id
          ? { message: `A rehearsal started ${elsewhere.startedAt} by ${elsewhere.startedBy} is running in another process (stack ${elsewhere.stackName}).` }
          : {}
        : { message: unavailableMessage }),
    };
  }
}
