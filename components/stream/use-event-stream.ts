"use client";

import { useEffect, useRef, useState } from "react";
import { SIGNED_OUT, type Protocol, type StreamSpec } from "@/lib/stream/protocol";

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

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
    source.onopen = () => setConnection("live");
    source.onerror = () => setConnection(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    return () => source.close();
  }, [url, spec]);

  return connection;
}

/** The connection in a few words, for the small status next to a live view. */
export function connectionWords(connection: Connection): string {
  if (connection === "live") return "● live";
  if (connection === "connecting") return "connecting…";
  if (connection === "closed") return "disconnected — reload the page";
  return "reconnecting… (updates paused)";
}
