"use client";

import { connectionWords } from "@/components/stream/use-event-stream";
import type { UsageUnit } from "@/lib/providers/contract";
import { isLive } from "@/lib/status";
import type { RoomView } from "@/lib/stream/protocol";
import { formatUsage, usageChartUnit, usageLabel } from "@/lib/usage-words";
import { AnnouncementForm } from "./announcement-form";
import { CostChart } from "./cost-chart";
import { EventForm, type EventFormValues } from "./event-form";
import { HelpQueue } from "./help-queue";
import { PaceCard } from "./pace-card";
import { RoomProblems, type ProblemTools } from "./room-problems";
import { RosterTable } from "./roster-table";
import { TeardownAll } from "./teardown-all";
import { useRoomStream } from "./use-room-stream";

export interface RoomDashboardProps {
  initial: RoomView;
  unit: UsageUnit;
  labTitles: Record<string, string>;
  event: EventFormValues;
  problemTools: ProblemTools;
  stuckMinutes: number;
}

/** The facilitator's live page: room totals, help queue, announcements, roster, the room's use over time, the end of the room. */
export function RoomDashboard({ initial, unit, labTitles, event, problemTools, stuckMinutes }: RoomDashboardProps) {
  const room = useRoomStream(initial);
  const rows = Object.values(room.rows);
  const live = rows.filter((r) => isLive(r.envStatus));
  const workers = live.reduce((n, r) => n + r.workersRunning, 0);
  const total = rows.reduce((n, r) => n + r.usage, 0);

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span className={room.connection === "live" ? "text-ok" : "text-warn"} role="status" data-testid="room-connection">
          {connectionWords(room.connection)}
        </span>
      </div>
      <section aria-label="Room totals" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Figure label="Attendees" value={String(rows.length)} />
        <Figure label="Environments running" value={String(live.length)} testId="room-live-count" />
        <Figure label="Workers running" value={String(workers)} />
        <Figure label={usageLabel(unit, "total")} value={formatUsage(unit, total, "room")} />
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <RoomProblems rows={rows} tools={problemTools} />
        <PaceCard rows={rows} labTitles={labTitles} stuckMinutes={stuckMinutes} />
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <HelpQueue queue={room.help} />
        <AnnouncementForm />
      </div>

      <RosterTable rows={rows} unit={unit} labTitles={labTitles} />

      <div className="grid gap-6 lg:grid-cols-3">
        <CostChart samples={room.cost} unit={usageChartUnit(unit)} />
        <TeardownAll rows={rows} />
        <EventForm event={event} />
      </div>
    </div>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-lg border border-line bg-card p-4">
      <p className="text-sm text-muted">{label}</p>
      <p className="text-2xl font-semibold" data-testid={testId}>{value}</p>
    </div>
  );
}
