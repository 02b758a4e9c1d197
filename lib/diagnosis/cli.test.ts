import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import corpus from "./corpus.json";
import { diagnoseStream } from "./cli";

// `npm run --silent diagnose` and the stream reader under it: one JSON object per line,
// whatever the input holds. The time it takes is measured in bench/diagnosis, not here.

async function run(chunks: (Buffer | string)[]) {
  const out: string[] = [];
  const counts = await diagnoseStream(Readable.from(chunks, { objectMode: false }), (line) => {
    out.push(line);
  });
  return { out: out.map((l) => JSON.parse(l) as Record<string, string>), counts };
}

/** Bytes from a seeded generator: the same noise on every run. */
function noise(size: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    bytes[i] = s >>> 24;
  }
  return bytes;
}

describe("npm run --silent diagnose", () => {
  it("prints {code, cause, fix} for each line, the catalogue's code for a known message and unknown for the rest", () => {
    const input = ["CannotPullContainerError: Error: image front-end:master.2 not found", "distributed.scheduler - INFO - Register worker addr: tls://127.0.0.1:42715 name: worker-1", "not even a log line"].join("\n");
    const printed = execFileSync("npm", ["run", "--silent", "diagnose"], { input, encoding: "utf8" }).trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    expect(printed.map((o) => o.code)).toEqual(["image-missing", "unknown", "unknown"]);
    expect(Object.keys(printed[0])).toEqual(["code", "cause", "fix"]);
    expect(printed[0].fix).toContain("Build the room's image");
  }, 60_000);

  it("gives every corpus message its code when fed one byte at a time", async () => {
    const text = corpus.messages.map((m) => m.text).join("\r\n");
    const { out } = await run([...Buffer.from(text)].map((b) => Buffer.from([b])));
    expect(out.map((o) => o.code)).toEqual(corpus.messages.map((m) => m.code));
  });

  it("answers every line of 10 MB of binary noise without failing, all unknown", async () => {
    const bytes = noise(10 * 1024 * 1024);
    const chunks = Array.from({ length: 160 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    const { out, counts } = await run(chunks);
    const newlines = bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
    expect(counts.bytes).toBe(bytes.length);
    expect(out.length).toBe(newlines + (bytes.at(-1) === 0x0a ? 0 : 1));
    expect(out.every((o) => o.code === "unknown" && o.cause && o.fix)).toBe(true);
    // A second or so on a quiet machine; the default 5 s is too little on a shared, busy one.
  }, 60_000);

  it("reads one 10 MB line as its first 8 KiB, as the log panel does", async () => {
    const line = `OutOfMemoryError: Container killed due to memory usage ${"y".repeat(10 * 1024 * 1024)}`;
    const { out } = await run([line]);
    expect(out.map((o) => o.code)).toEqual(["out-of-memory"]);
    const late = await run([`${"y".repeat(10 * 1024 * 1024)} OutOfMemoryError: Container killed due to memory usage\n`]);
    expect(late.out.map((o) => o.code)).toEqual(["unknown"]);
  });

  it("takes lines in any encoding: Latin-1, UTF-16, broken UTF-8, NUL bytes, an empty line", async () => {
    const lines = [
      Buffer.from("Ã© caf\xe9 na\xefve\n", "latin1"),
      Buffer.from("OutOfMemoryError: Container killed due to memory usage\n", "utf16le"),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0x0a]),
      Buffer.from("a\u0000b\u0000c\n"),
      Buffer.from("\n"),
      Buffer.from("timed out trying to connect: \u{1F600} tls://127.0.0.1:8786\n"),
    ];
    const { out } = await run(lines);
    expect(out.map((o) => o.code)).toEqual(["unknown", "unknown", "unknown", "unknown", "unknown", "network"]);
  });
});
