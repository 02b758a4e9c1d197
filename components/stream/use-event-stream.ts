"use client";

import { useEffect, useRef, useState } from "react";
import { SIGNED_OUT, type Protocol, type StreamSpec } from "@/lib/stream/protocol";

/** "refused": the server would not open the stream, in its own words (e.g. too many open). */
export type Connection = "connecting" | "live" | "reconnecting" | "closed" | { refused: string };

/**
 * Why a stream that gave up was refused: EventSource hides the answer, so ask once more
 * with fetch and read the JSON error (a stream that opens this time is let go at once).
 */
async function refusalOf(url: string): Promise<{ status: number; message?: string } | null> {
  const abort = new AbortController();
  try {
    const res = await fetch(url, { signal: abort.signal, headers: { accept: "application/json" } });
    if (res.ok) return null;
    const body = (await res.json().catch(() => ({}))) as { error?: unknown };
    return { status: res.status, message: typeof body.error === "string" ? body.error : undefined };
  } catch {
    return null;
  } finally {
    abort.abort();
  }
}

export type Handlers<P extends Protocol> = { [K in keyof P & string]?: (data: P[K], id: number) => void };

/**
 * Follows one of the portal's live streams (lib/stream/protocol.ts). EventSource
 * reconnects by itself and sends Last-Event-ID, so the server resumes where the page
 * stopped; a numbered event that arrives twice anyway is applied once. Handlers may
 * change between renders without reconnecting. When the server says the viewer is signed
 * out, the page goes to the sign-in page (a full navigation) instead of reconnecting.
 */
export function useEventStream<P extends Protocol>(url: string, spec: StreamSpec<P>, handlers: Handlers<P>): Connection {
  const [connection, setConnection] = useState<Connection>("connecting");
  const current = useRef(handlers);
  useEffect(() => {
    current.current = handlers;
  });

  useEffect(() => {
    const source = new EventSource(url);
    let lastSeen = 0;
    const state = new Set<string>(spec.state);
    for (const name of spec.events) {
      source.addEventListener(name, (e) => {
        const message = e as MessageEvent<string>;
        const id = Number(message.lastEventId);
        if (!state.has(name)) {
          if (id <= lastSeen) return;
          lastSeen = id;
        }
        const handler = current.current[name];
        handler?.(JSON.parse(message.data) as P[typeof name], id);
      });
    }
    source.addEventListener(SIGNED_OUT, () => {
      source.close();
      // A full load, not a client-side push: nothing of the signed-out page's state survives.
      window.location.assign(new URL("/signin", window.location.href));
    });
    let gone = false;
    source.onopen = () => setConnection("live");
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return setConnection("reconnecting");
      setConnection("closed");
      void refusalOf(url).then((refusal) => {
        if (gone || !refusal) return;
        if (refusal.status === 401) window.location.assign(new URL("/signin", window.location.href));
        else if (refusal.message) setConnection({ refused: refusal.message });
      });
    };
    return () => {
      gone = true;
      source.close();
    };
  }, [url, spec]);

  return connection;
}

/** The connection in a few words, for the small status next to a live view. */
export function connectionWords(connection: Connection): string {
  if (connection === "live") return "● live";
  if (connection === "connecting") return "connecting…";
  if (connection === "closed") return "disconnected — reload the page";
  if (typeof connection === "object") return connection.refused;
  return "reconnecting… (updates paused)";
}
