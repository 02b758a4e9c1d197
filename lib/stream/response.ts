import "server-only";
import { errorResponse, PortalError } from "@/lib/errors";
import type { AnySink } from "./channel";
import type { OpenStreams } from "./open-streams";
import { DROPPED, SIGNED_OUT } from "./protocol";
import { encodeComment, encodeEvent } from "./sse";

export interface SseOptions {
  /** Who the stream is for (`${role}:${id}`): the per-person cap counts against this. */
  owner: string;
  /** The process's count of open streams (the runtime's `openStreams`). */
  open: OpenStreams;
  /** Starts the subscription; returns its end. */
  subscribe: (sink: AnySink) => () => void;
  /**
   * Whether the viewer may still watch (e.g. their session was not revoked), asked every
   * `recheckMs`. False ends the stream with one `signed-out` event; a check that throws
   * is not taken as a no.
   */
  recheck?: () => boolean | Promise<boolean>;
  recheckMs?: number;
  heartbeatMs?: number;
  /** Bytes a browser may leave unread before it is dropped (it then reconnects and resumes). */
  maxBufferedBytes?: number;
}

export const sseDefaults = { recheckMs: 5_000, heartbeatMs: 15_000, maxBufferedBytes: 2 * 1024 * 1024 };

const signedOutReason = "You are no longer signed in. Sign in again to go on watching.";

/**
 * Turns a channel subscription into an SSE response: the per-person cap (429 beyond it),
 * heartbeats, a buffer bounded in bytes for slow readers, the periodic sign-in check, and
 * cleanup (the stream stops counting) whichever side ends it.
 */
export function sseResponse(request: Request, options: SseOptions): Response {
  const release = options.open.claim(options.owner);
  if (!release) {
    const held = options.open.count(options.owner);
    return errorResponse(
      new PortalError(
        "too_many",
        `You already have ${held} live portal views open, the most one person may have. Close the portal in other tabs or windows, then reload this page.`,
      ),
    );
  }
  const { recheckMs, heartbeatMs, maxBufferedBytes } = { ...sseDefaults, ...options };
  const encoder = new TextEncoder();
  let finish = release;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        let unsubscribe: (() => void) | undefined;
        const timers: NodeJS.Timeout[] = [];
        // Whichever side ends the stream (and however often): stops the timers, the subscription and the count.
        finish = () => {
          open = false;
          for (const timer of timers.splice(0)) clearInterval(timer);
          unsubscribe?.();
          unsubscribe = undefined;
          release();
        };
        const write = (text: string) => {
          if (!open) return false;
          controller.enqueue(encoder.encode(text));
          return (controller.desiredSize ?? 0) > 0;
        };
        /** A last event (no id: nothing to resume from it), then the end of the stream. */
        const end = (event: string, data: unknown) => {
          if (!open) return;
          try {
            controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
            controller.close();
          } catch {
            /* already closed */
          }
          finish();
        };
        write("retry: 2000\n\n");
        timers.push(setInterval(() => write(encodeComment(`heartbeat ${new Date().toISOString()}`)), heartbeatMs));
        const recheck = options.recheck;
        if (recheck) {
          let checking = false;
          const check = async () => {
            if (checking || !open) return;
            checking = true;
            try {
              if (!(await recheck())) end(SIGNED_OUT, { reason: signedOutReason });
            } catch (err) {
              console.error("could not recheck a stream's viewer:", err instanceof Error ? err.message : err);
            } finally {
              checking = false;
            }
          };
          timers.push(setInterval(() => void check(), recheckMs));
        }
        const abort = () => {
          finish();
          try {
            controller.close();
          } catch {
            /* already closed */
          }
        };
        if (request.signal.aborted) return abort();
        request.signal.addEventListener("abort", abort);
        // The channel may drop the subscriber while greeting it, before this returns.
        const stop = options.subscribe({ send: (frame) => write(encodeEvent(frame)), close: (reason) => end(DROPPED, { reason }) });
        if (open) unsubscribe = stop;
        else stop();
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: maxBufferedBytes, size: (chunk) => chunk.byteLength },
  );
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
}
