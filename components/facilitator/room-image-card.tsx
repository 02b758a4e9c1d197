"use client";

import { useState } from "react";
import { buildRoomImageAction } from "@/app/(facilitator)/actions";
import { useEventStream } from "@/components/stream/use-event-stream";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";
import { buildOutcome, pinsWarning } from "@/lib/image/words";
import type { ImageBuildLogLine, ImageBuildView, RoomImage } from "@/lib/providers/contract";
import { imageBuildEventsPath, imageBuildStream } from "@/lib/stream/protocol";

/** Log lines the card shows at most (the newest); a failed build keeps its last ones in view. */
const shownLines = 400;

const phaseTone = (status?: string) => (status === undefined ? "text-warn" : status === "SUCCEEDED" ? "text-ok" : "text-bad");

/**
 * The room's image (event mode on AWS): the image attendee stacks run and its pins against
 * the portal's, the button that builds it with CodeBuild, and the build's phases and log live.
 */
export function RoomImageCard() {
  const [room, setRoom] = useState<RoomImage | null>(null);
  const [build, setBuild] = useState<ImageBuildView | null>(null);
  const [lines, setLines] = useState<(ImageBuildLogLine & { build: string })[]>([]);
  const [degraded, setDegraded] = useState<string | null>(null);
  const { status, pending, run } = useActionStatus();

  const showBuild = (next: ImageBuildView) => setBuild(next);
  const connection = useEventStream(imageBuildEventsPath, imageBuildStream, {
    snapshot: (data) => setRoom(data),
    build: (data) => showBuild(data),
    // Lines of an older build are let go once another build's lines arrive.
    log: (data) => setLines((prev) => [...prev.filter((l) => l.build === data.build), data].slice(-shownLines)),
    degraded: (data) => setDegraded(data.message),
  });

  const warning = room ? pinsWarning(room) : null;
  const running = build?.status === "IN_PROGRESS";
  return (
    <section aria-labelledby="room-image-heading" className="rounded-lg border border-line bg-card p-4" data-testid="room-image">
      <h2 id="room-image-heading" className="text-lg font-semibold">Room image</h2>
      {!room && <p className="mt-3 text-muted" role="status">{typeof connection === "object" ? connection.refused : "Reading the room's image…"}</p>}
      {room && (
        <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-muted">Image</dt>
          <dd data-testid="room-image-current">
            {room.image ? <code className="break-all">{room.image}</code> : <span className="text-warn">none yet</span>}
            {room.source === "configured" && <span className="text-muted"> (DASK_IMAGE)</span>}
          </dd>
          <dt className="text-muted">Its pins</dt>
          <dd><code data-testid="room-image-pins">{room.imagePins ? `pins-${room.imagePins}` : "—"}</code></dd>
          <dt className="text-muted">Portal pins</dt>
          <dd><code data-testid="room-image-portal-pins">pins-{room.portalPins}</code></dd>
        </dl>
      )}
      {room?.message && <p className="mt-2 text-warn" data-testid="room-image-message">{room.message}</p>}
      {warning && (
        <p className="mt-2 rounded-md border border-warn p-2 text-warn" role="alert" data-testid="room-image-pins-warning">
          {warning}
        </p>
      )}
      {degraded && <p className="mt-2 text-bad" role="alert">{degraded}</p>}
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <button
          type="button"
          data-testid="room-image-build"
          disabled={pending || room?.canBuild === false}
          onClick={() => run(() => buildRoomImageAction(), (r) => r.message, (r) => showBuild(r.build))}
          className="rounded-md bg-accent px-4 py-2 font-medium text-bg disabled:opacity-50"
        >
          Build the room&apos;s image
        </button>
        <span data-testid="room-image-build-status"><ActionStatus status={status} /></span>
      </div>
      {build && (
        <div className="mt-4" data-testid="room-image-build-view" data-status={build.status}>
          <p className={running ? "text-warn" : build.status === "SUCCEEDED" ? "text-ok" : "text-bad"} role="status" data-testid="room-image-build-outcome">
            {buildOutcome(build)}
          </p>
          <ol className="mt-2 flex flex-wrap gap-2 text-xs" aria-label="Build phases">
            {build.phases.map((p, i) => (
              <li key={`${p.phase}-${i}`} data-testid="room-image-phase" data-phase={p.phase} data-status={p.status ?? "IN_PROGRESS"} className={`rounded border border-line px-2 py-0.5 ${phaseTone(p.status)}`}>
                {p.phase} {p.status ?? "…"}
              </li>
            ))}
          </ol>
          <pre className="mt-2 max-h-72 overflow-auto rounded-md bg-bg p-2 text-xs" aria-label="Build log" data-testid="room-image-log">
            {lines.filter((l) => l.build === build.id).map((l) => (
              <div key={l.key} data-testid="room-image-log-line">{l.text}</div>
            ))}
          </pre>
        </div>
      )}
    </section>
  );
}
