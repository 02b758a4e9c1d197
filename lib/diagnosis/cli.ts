import type { Readable } from "node:stream";
import { capLogLine, LOG_LINE_MAX_BYTES } from "@/lib/providers/contract";
import { diagnoseLine } from "./diagnose";

// `npm run --silent diagnose`: lines in, one JSON object per line out. Bytes are read as
// they come and only a line's first 8 KiB is kept (its length is counted, for the cut mark),
// so memory stays small and the work grows with the input, whatever the lines look like.

/** One output line for one input line: {"code","cause","fix"}. */
export function diagnosisJson(text: string): string {
  const { code, cause, fix } = diagnoseLine(text);
  return JSON.stringify({ code, cause, fix });
}

export interface DiagnoseCounts {
  lines: number;
  bytes: number;
}

/**
 * Diagnoses every line of `input` (\n ends a line, a \r before it is dropped, a last line
 * without one counts too) and hands each result to `write`, which may wait for room.
 */
export async function diagnoseStream(input: Readable, write: (line: string) => Promise<void> | void): Promise<DiagnoseCounts> {
  const head = Buffer.alloc(LOG_LINE_MAX_BYTES + 1);
  let kept = 0;
  let lineBytes = 0;
  const counts: DiagnoseCounts = { lines: 0, bytes: 0 };

  const endLine = async () => {
    // A line kept whole may end in \r (a CRLF file): that byte is not part of the line.
    const crlf = lineBytes === kept && kept > 0 && head[kept - 1] === 0x0d ? 1 : 0;
    const text = head.toString("utf8", 0, Math.min(kept - crlf, LOG_LINE_MAX_BYTES));
    counts.lines++;
    // Only the line's start was kept: capLogLine cuts at the limit and marks the real size.
    await write(diagnosisJson(capLogLine(text, lineBytes - crlf)));
    kept = 0;
    lineBytes = 0;
  };

  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    counts.bytes += bytes.length;
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(0x0a, start);
      const end = newline < 0 ? bytes.length : newline;
      const room = head.length - kept;
      if (room > 0) {
        const take = Math.min(room, end - start);
        bytes.copy(head, kept, start, start + take);
        kept += take;
      }
      lineBytes += end - start;
      if (newline < 0) break;
      await endLine();
      start = newline + 1;
    }
  }
  if (lineBytes > 0) await endLine();
  return counts;
}
