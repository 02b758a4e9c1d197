import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalogue, rules } from "./catalogue";
import { diagnosisCodes, type DiagnosisCode } from "./codes";
import corpus from "./corpus.json";
import { diagnoseLine } from "./diagnose";

// The catalogue against its evidence: every real message gets its code, every healthy line
// of a real local run and every shuffled-word line gets `unknown`, and every code has
// messages or a written reason why none can be seen.

const healthyDir = path.join(import.meta.dirname, "healthy");
const healthyLines = fs
  .readdirSync(healthyDir)
  .flatMap((file) => fs.readFileSync(path.join(healthyDir, file), "utf8").split("\n").map((text) => ({ file, text })))
  .filter((l) => l.text.trim());

/** A small seeded generator, so the shuffled lines are the same on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The line's words in an order where no two words that followed each other still do. */
function shuffledWords(text: string, seed: number): string | null {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length < 3) return null;
  const next = random(seed);
  const kept = new Set(words.slice(1).map((w, i) => `${words[i]}\u0000${w}`));
  for (let attempt = 0; attempt < 200; attempt++) {
    const order = [...words];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    if (order.slice(1).every((w, i) => !kept.has(`${order[i]}\u0000${w}`))) return order.join(" ");
  }
  return null;
}

/** The same message with its numbers changed (ids, ports, counts, versions), non-zero kept non-zero. */
function otherNumbers(text: string): string {
  return text.replace(/[1-9]/g, (d) => String((Number(d) % 9) + 1));
}

describe("the diagnosis catalogue", () => {
  it("gives every corpus message its code", () => {
    const wrong = corpus.messages
      .map((m) => ({ ...m, got: diagnoseLine(m.text).code }))
      .filter((m) => m.got !== m.code)
      .map((m) => `${m.code} → ${m.got}: ${m.text}`);
    expect(wrong).toEqual([]);
  });

  it("still gives it when the ids, addresses, counts and versions in the message differ", () => {
    const wrong = corpus.messages.filter((m) => diagnoseLine(otherNumbers(m.text)).code !== m.code).map((m) => otherNumbers(m.text));
    expect(wrong).toEqual([]);
  });

  it("has, for every code, real messages or a written reason why none can be seen offline", () => {
    const unseen = corpus.unseen as Partial<Record<DiagnosisCode, string>>;
    const bare = diagnosisCodes.filter((code) => !corpus.messages.some((m) => m.code === code) && !unseen[code]?.trim());
    expect(bare).toEqual([]);
    for (const code of Object.keys(unseen)) expect(diagnosisCodes).toContain(code);
  });

  it("names, for every message, the public page where it was seen or the file of this repository that writes it", () => {
    const unsourced = corpus.messages.filter((m) => !/^https:\/\/\S+$/.test(m.source) && !fs.existsSync(path.resolve(m.source)));
    expect(unsourced).toEqual([]);
    for (const m of corpus.messages) expect(diagnosisCodes).toContain(m.code);
  });

  it("says something different for each cause, and names a cause and a fix for each", () => {
    for (const code of diagnosisCodes) {
      expect(catalogue[code].cause.length).toBeGreaterThan(20);
      expect(catalogue[code].fix.length).toBeGreaterThan(20);
    }
    expect(new Set(diagnosisCodes.map((c) => catalogue[c].cause)).size).toBe(diagnosisCodes.length);
  });

  it("matches on phrases only: every rule's parts are lower-case and of two words or more", () => {
    const loose = rules.flatMap((r) => r.all).filter((phrase) => phrase !== phrase.toLowerCase() || !/\S\s+\S/.test(phrase));
    expect(loose).toEqual([]);
  });

  it("backs every rule with at least one corpus message", () => {
    const unused = rules.filter((r) => !corpus.messages.some((m) => r.all.every((p) => m.text.toLowerCase().includes(p))));
    expect(unused.map((r) => `${r.code}: ${r.all.join(" + ")}`)).toEqual([]);
  });

  it("reads a real healthy run (scheduler, workers, JupyterLab, the notebook's output) as nothing wrong", () => {
    expect(new Set(healthyLines.map((l) => l.file))).toEqual(new Set(["scheduler.log", "worker-1.log", "worker-2.log", "jupyterlab.log", "notebook-run.log"]));
    const alarms = healthyLines
      .flatMap(({ file, text }) => rules.filter((r) => r.all.every((p) => text.toLowerCase().includes(p))).map((r) => `${file}: ${r.code} (${r.all.join(" + ")}): ${text}`));
    expect(alarms).toEqual([]);
    expect(healthyLines.filter((l) => diagnoseLine(l.text).code !== "unknown")).toEqual([]);
  });

  it("reads the words of real messages and healthy lines, shuffled, as nothing wrong", () => {
    const control = [...corpus.messages.map((m) => m.text), ...healthyLines.map((l) => l.text)]
      .map((text, i) => shuffledWords(text, i + 1))
      .filter((line): line is string => line !== null);
    expect(control.length).toBeGreaterThan(corpus.messages.length);
    expect(control.filter((line) => diagnoseLine(line).code !== "unknown")).toEqual([]);
  });

  it("reads only a line's first 8 KiB, as the log panel shows it", () => {
    const message = "OutOfMemoryError: Container killed due to memory usage";
    expect(diagnoseLine(`${message} ${"x".repeat(1 << 20)}`).code).toBe("out-of-memory");
    expect(diagnoseLine(`${"x".repeat(9 * 1024)} ${message}`).code).toBe("unknown");
  });
});
