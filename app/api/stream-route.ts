import { requireViewer, sessionStillHolds } from "@/lib/auth/session";
import type { Role } from "@/lib/auth/roles";
import type { Viewer } from "@/lib/auth/session";
import { errorResponse } from "@/lib/errors";
import { ready, type Runtime } from "@/lib/runtime";
import type { AnySink } from "@/lib/stream/channel";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

/** What a stream route hands the SSE response: a subscription starting after `lastEventId`. */
export type Subscribe = (sink: AnySink, lastEventId: number | null) => () => void;

interface StreamRoute<P> {
  /** Who may open it (any signed-in viewer when absent); everyone else gets the usual refusal. */
  role?: Role;
  /** The channel to follow, for this viewer; throwing answers with the error's status. */
  channel: (input: { viewer: Viewer; rt: Runtime; params: P }) => Subscribe | Promise<Subscribe>;
  /** End the stream with `signed-out` once the viewer's session is revoked (attendees' streams). */
  recheck?: boolean;
  /** Also take the resume point from `?lastEventId=` (a page that opens the stream by URL). */
  resumeFromQuery?: boolean;
}

/**
 * Every SSE route is the same few steps: who may watch, which channel, resume from
 * Last-Event-ID, the per-person cap and, for attendees, the periodic session check.
 */
export function defineStreamRoute<P = Record<string, never>>(spec: StreamRoute<P>) {
  return async (request: Request, context?: { params: Promise<P> }): Promise<Response> => {
    try {
      const viewer = await requireViewer(spec.role);
      const params = context ? await context.params : ({} as P);
      const rt = await ready();
      const subscribe = await spec.channel({ viewer, rt, params });
      const fromQuery = spec.resumeFromQuery ? new URL(request.url).searchParams.get("lastEventId") : null;
      const lastEventId = parseLastEventId(request.headers.get("last-event-id") ?? fromQuery);
      return sseResponse(request, {
        owner: `${viewer.role}:${viewer.id}`,
        open: rt.openStreams,
        ...(spec.recheck ? { recheck: sessionStillHolds(viewer) } : {}),
        subscribe: (sink) => subscribe(sink, lastEventId),
      });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
