import type { Tone } from "@/lib/status";

/** The colours a tone is shown in (see lib/status.ts for which status gets which tone). */
export const textTone: Record<Tone, string> = { ok: "text-ok", warn: "text-warn", bad: "text-bad", muted: "text-muted" };
export const badgeTone: Record<Tone, string> = {
  ok: "border-ok text-ok",
  warn: "border-warn text-warn",
  bad: "border-bad text-bad",
  muted: "border-line text-muted",
};
