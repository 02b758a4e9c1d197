import { z } from "zod";

// The workshop notebook's last code cell prints one line that sums up what it computed,
// so a headless run (the dress rehearsal) can tell from its log alone whether the numbers
// make sense: `WORKSHOP_SUMMARY {"months": 1, ...}`.

export const SUMMARY_MARKER = "WORKSHOP_SUMMARY ";

export const notebookSummarySchema = z.object({
  /** Month files read. */
  months: z.number().int().min(0),
  /** Hourly time steps read. */
  timeSteps: z.number().int().min(0),
  /** Grid points of one time step (lat × lon). */
  gridPoints: z.number().int().min(0),
  /** The mean of the mean map, °C (each grid point counts the same). */
  globalMeanC: z.number(),
  /** The coldest and warmest hourly values, °C. */
  minC: z.number(),
  maxC: z.number(),
  /** Cities in the hour-by-hour table. */
  cities: z.number().int().min(0),
});
export type NotebookSummary = z.infer<typeof notebookSummarySchema>;

/** The summary a line carries, or null when it carries none (or one that does not parse). */
export function parseSummaryLine(text: string): NotebookSummary | null {
  const at = text.indexOf(SUMMARY_MARKER);
  if (at < 0) return null;
  try {
    const parsed = notebookSummarySchema.safeParse(JSON.parse(text.slice(at + SUMMARY_MARKER.length).trim()));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
