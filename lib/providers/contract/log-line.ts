// How long a log line may be when it enters the portal. A task can print a megabyte on
// one line (a dumped array, a base64 blob); the portal keeps, stores and sends only the
// start of it, and says so on the line itself.

/** The most of one log line (UTF-8 bytes) the portal passes on. */
export const LOG_LINE_MAX_BYTES = 8 * 1024;

/** A size as people read it: 900 B, 9.5 KiB, 1.0 MiB. */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * The line as the portal shows it: as it is when short enough, else its first
 * LOG_LINE_MAX_BYTES and a mark with the whole line's size. `text` may already be just
 * the start of the line when its full size (`lineBytes`) is known apart.
 */
export function capLogLine(text: string, lineBytes = Buffer.byteLength(text)): string {
  if (lineBytes <= LOG_LINE_MAX_BYTES) return text;
  // Cutting at a byte count may split a character: drop the broken remnant.
  const head = Buffer.from(text).subarray(0, LOG_LINE_MAX_BYTES).toString("utf8").replace(/\uFFFD+$/, "");
  return `${head}… [line truncated: ${sizeWords(lineBytes)}]`;
}
