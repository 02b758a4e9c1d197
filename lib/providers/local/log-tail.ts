import "server-only";
import fs from "node:fs";
import { capLogLine, LOG_LINE_MAX_BYTES } from "@/lib/providers/contract";
import { openPlainFile } from "./box";

/** Bytes of a file read per window, and about the most one call moves on by. */
const MAX_READ = 1 << 20;
/** Chunk used to look for the end of a line longer than a window. */
const SCAN = 64 * 1024;

/** The offset of the first newline at or after `from` (before `size`), or -1. */
function newlineAfter(fd: number, from: number, size: number): number {
  const chunk = Buffer.alloc(SCAN);
  for (let pos = from; pos < size; pos += SCAN) {
    const read = fs.readSync(fd, chunk, 0, Math.min(SCAN, size - pos), pos);
    const at = chunk.subarray(0, read).indexOf(0x0a);
    if (at >= 0) return pos + at;
  }
  return -1;
}

/**
 * Complete lines appended to `file` since byte `offset`, each at most LOG_LINE_MAX_BYTES
 * (a longer one is cut, with a mark saying how long it was, and only its start is read).
 * A trailing partial line is left for the next read, so a line is never split or
 * delivered twice; the exception is a line longer than a window that has no end yet,
 * which is delivered (cut) as far as it goes rather than stall the tail.
 */
export function readNewLines(file: string, offset: number): { lines: { offset: number; text: string }[]; next: number } {
  let fd: number;
  try {
    // Never through a link or into a FIFO the sandbox left in a log's place.
    fd = openPlainFile(file, "read");
  } catch {
    return { lines: [], next: offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return { lines: [], next: Math.min(offset, size) };
    const lines: { offset: number; text: string }[] = [];
    let pos = offset;
    while (pos < size && pos - offset < MAX_READ) {
      const length = Math.min(size - pos, MAX_READ);
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, pos);
      const lastNewline = buf.lastIndexOf(0x0a);
      if (lastNewline < 0) {
        if (length < MAX_READ) break; // the rest of a line still being written
        const end = newlineAfter(fd, pos + length, size);
        const lineBytes = (end < 0 ? size : end) - pos;
        lines.push({ offset: pos, text: capLogLine(buf.toString("utf8", 0, LOG_LINE_MAX_BYTES), lineBytes) });
        pos = end < 0 ? size : end + 1;
        continue;
      }
      let start = 0;
      while (start <= lastNewline) {
        const end = buf.indexOf(0x0a, start);
        const stop = end > start && buf[end - 1] === 0x0d ? end - 1 : end;
        if (stop > start) {
          const text = buf.toString("utf8", start, Math.min(stop, start + LOG_LINE_MAX_BYTES));
          lines.push({ offset: pos + start, text: capLogLine(text, stop - start) });
        }
        start = end + 1;
      }
      pos += lastNewline + 1;
    }
    return { lines, next: pos };
  } finally {
    fs.closeSync(fd);
  }
}
