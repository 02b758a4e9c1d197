// A browser tab on one of the portal's streams, as the tests see it: every frame it was sent,
// and whether (and why) the stream closed it. With `room`, the tab takes that many frames and
// then refuses more, as a browser that stopped reading does.
import type { Sink } from "@/lib/stream/channel";
import type { FrameOf, Protocol } from "@/lib/stream/protocol";

export class RecordingTab<P extends Protocol> implements Sink<P> {
  frames: FrameOf<P>[] = [];
  closed?: string;

  constructor(
    readonly key?: string,
    private readonly room = Infinity,
  ) {}

  send(frame: FrameOf<P>): boolean {
    if (this.frames.length >= this.room) return false;
    this.frames.push(frame);
    return true;
  }

  close(reason: string): void {
    this.closed = reason;
  }

  /** The id of the last frame received: what the browser sends back as Last-Event-ID. */
  lastId(): number | null {
    return this.frames.at(-1)?.id ?? null;
  }

  /** The payloads of every frame of one event, in order. */
  dataOf<K extends FrameOf<P>["event"]>(event: K): Extract<FrameOf<P>, { event: K }>["data"][] {
    return this.frames.flatMap((f) => (f.event === event ? [(f as Extract<FrameOf<P>, { event: K }>).data] : []));
  }

  /** The last frame of one event, if any. */
  last<K extends FrameOf<P>["event"]>(event: K): Extract<FrameOf<P>, { event: K }> | undefined {
    return this.frames.filter((f) => f.event === event).at(-1) as Extract<FrameOf<P>, { event: K }> | undefined;
  }
}
