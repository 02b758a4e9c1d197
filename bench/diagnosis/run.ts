// `make bench-diagnose`: how the time `npm run --silent diagnose` takes grows with its input.
// Each shape of input (a healthy log, the corpus's failure messages, binary noise, lines far
// over 8 KiB, one 10 MB line, lines built to nearly match every rule) is fed at 1, 2, 5 and
// 10 MB through the same reader the command uses, five times each; the report gives the
// median seconds and MB/s per size. Linear time shows as a flat MB/s column. Writes
// bench/diagnosis/REPORT.md; never passes or fails.
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { rules } from "@/lib/diagnosis/catalogue";
import { diagnoseStream } from "@/lib/diagnosis/cli";
import corpus from "@/lib/diagnosis/corpus.json";
import { machine, machineSection } from "../support/machine";

const MB = 1024 * 1024;
const SIZES = [1, 2, 5, 10];
const RUNS = 5;
const here = path.dirname(new URL(import.meta.url).pathname);

function repeatTo(size: number, unit: string): Buffer {
  const one = Buffer.from(unit);
  return Buffer.concat(Array.from({ length: Math.ceil(size / one.length) }, () => one)).subarray(0, size);
}

function noise(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let s = 11;
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    bytes[i] = s >>> 24;
  }
  return bytes;
}

const healthy = fs.readdirSync(path.join(here, "../../lib/diagnosis/healthy")).map((f) => fs.readFileSync(path.join(here, "../../lib/diagnosis/healthy", f), "utf8")).join("");
// Every rule's phrases but the last word of each: the most each line can make a rule check.
const nearMiss = rules.map((r) => r.all.map((p) => p.split(" ").slice(0, -1).join(" ")).join(" ")).join(" ");

const shapes: { name: string; make: (size: number) => Buffer }[] = [
  { name: "healthy log lines", make: (n) => repeatTo(n, healthy) },
  { name: "corpus failure messages", make: (n) => repeatTo(n, `${corpus.messages.map((m) => m.text).join("\n")}\n`) },
  { name: "binary noise", make: noise },
  { name: "lines of 64 KiB", make: (n) => repeatTo(n, `${"z".repeat(64 * 1024)}\n`) },
  { name: "one line, no newline", make: (n) => repeatTo(n, "q") },
  { name: "near misses of every rule", make: (n) => repeatTo(n, `${nearMiss}\n`) },
];

async function seconds(input: Buffer): Promise<{ s: number; lines: number }> {
  const chunks = Array.from({ length: Math.ceil(input.length / 65536) }, (_, i) => input.subarray(i * 65536, (i + 1) * 65536));
  const started = process.hrtime.bigint();
  const { lines } = await diagnoseStream(Readable.from(chunks), () => {});
  return { s: Number(process.hrtime.bigint() - started) / 1e9, lines };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const info = machine("lib/diagnosis");
  const rows: string[] = [];
  for (const shape of shapes) {
    for (const size of SIZES) {
      const input = shape.make(size * MB);
      const runs: number[] = [];
      let lines = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = await seconds(input);
        runs.push(r.s);
        lines = r.lines;
      }
      const s = median(runs);
      rows.push(`| ${shape.name} | ${size} | ${lines} | ${s.toFixed(3)} | ${(size / s).toFixed(1)} |`);
      console.log(rows.at(-1));
    }
  }
  const report = [
    "# `npm run --silent diagnose`: time against input size",
    "",
    "The reader the command uses (`lib/diagnosis/cli.ts`), fed in 64 KiB chunks as stdin",
    "delivers them, output discarded; the median of 5 runs. `make bench-diagnose` writes this",
    "file (`bench/diagnosis/run.ts`). Linear time shows as MB/s that stays level as the input",
    "grows; a line is cut at 8 KiB before it is looked at, so a long line costs its bytes",
    "read and no more. Other work on the machine (its load average is below) moves a row's",
    "MB/s; compare the sizes within one kind of input.",
    "",
    "| input | MB | lines | seconds | MB/s |",
    "|---|---:|---:|---:|---:|",
    ...rows,
    "",
    ...machineSection(info),
    "",
  ].join("\n");
  fs.writeFileSync(path.join(here, "REPORT.md"), report);
}

void main();
