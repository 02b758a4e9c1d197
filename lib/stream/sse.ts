/** Server-Sent Events framing: one `id:`, one `event:`, JSON `data:` lines, then a blank line. */
export function encodeEvent({ id, event, data }: { id: number; event: string; data: unknown }): string {
  // JSON.stringify never emits a raw newline, so one data: line holds the whole payload.
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function encodeComment(text: string): string {
  return `: ${text.replace(/\n/g, " ")}\n\n`;
}

/** Reads the resume point a reconnecting EventSource sends; anything malformed means "from the start". */
export function parseLastEventId(value: string | null | undefined): number | null {
  if (!value || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}
