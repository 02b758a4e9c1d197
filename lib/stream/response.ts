import "server-only";
import type { AnySink } from "./channel";
import { DROPPED } from "./protocol";
import { encodeComment, encodeEvent } from "./sse";

const HEARTBEAT_MS = 15_000;
/** Bytes a browser may leave unread before it is dropped (it then reconnects and resumes). */
const MAX_BUFFERED = 2 * 1024 * 1024;

/**
 * Turns a channel subscription into an SSE response: heartbeats, a bounded buffer for
 * slow readers, and cleanup when the browser goes away.
 */
export function sseResponse(request: Request, subscribe: (sink: AnySink) => () => void): Response {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const write = (text: string) => {
          if (!open) return false;
          controller.enqueue(encoder.encode(text));
          return (controller.desiredSize ?? 0) > 0;
        };
        const close = (reason: string) => {
          if (!open) return;
          try {
            controller.enqueue(encoder.encode(`event: ${DROPPED}\ndata: ${JSON.stringify({ reason })}\n\n`));
            controller.close();
          } catch {
            /* already closed */
          }
          open = false;
          cleanup();
        };
        write("retry: 2000\n\n");
        const unsubscribe = subscribe({ send: (frame) => write(encodeEvent(frame)), close });
        const heartbeat = setInterval(() => write(encodeComment(`heartbeat ${new Date().toISOString()}`)), HEARTBEAT_MS);
        cleanup = () => {
          open = false;
          clearInterval(heartbeat);
          unsubscribe();
        };
        request.signal.addEventListener("abort", () => {
          cleanup();
          try {
            controller.close();
          } catch {
            /* already closed */
          }
        });
      },
      cancel() {
        cleanup();
      },
    },
    { highWaterMark: MAX_BUFFERED, size: (chunk) => chunk.byteLength },
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
