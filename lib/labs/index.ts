import "server-only";
import fs from "node:fs";
import path from "node:path";
import matter from "gray-matter";
import { z } from "zod";
import { checkKindSchema } from "./check-kinds";

const labsDir = path.join(process.cwd(), "content", "labs");

const frontMatterSchema = z.object({
  title: z.string().min(1),
  order: z.number().int().min(1),
  minutes: z.number().int().min(1),
  summary: z.string().default(""),
  /** The server-side check behind the lab's "Check my progress" button, if it has one. */
  check: checkKindSchema.optional(),
});

export interface Lab extends z.infer<typeof frontMatterSchema> {
  slug: string;
  body: string;
}

const slugPattern = /^[a-z0-9][a-z0-9-]{0,80}$/;

function parseLab(file: string): Lab {
  const raw = fs.readFileSync(path.join(labsDir, file), "utf8");
  const { data, content } = matter(raw);
  const parsed = frontMatterSchema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`content/labs/${file}: bad front matter: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  return { ...parsed.data, slug: file.replace(/\.md$/, ""), body: content };
}

let cache: Lab[] | undefined;

/** Every lab in order. Read once per process; the files ship with the build. */
export function listLabs(): Lab[] {
  cache ??= fs
    .readdirSync(labsDir)
    .filter((f) => f.endsWith(".md"))
    .map(parseLab)
    .sort((a, b) => a.order - b.order);
  return cache;
}

export function findLab(slug: string): Lab | undefined {
  if (!slugPattern.test(slug)) return undefined;
  return listLabs().find((lab) => lab.slug === slug);
}

export function neighbours(slug: string): { previous?: Lab; next?: Lab } {
  const labs = listLabs();
  const i = labs.findIndex((lab) => lab.slug === slug);
  return { previous: labs[i - 1], next: labs[i + 1] };
}
