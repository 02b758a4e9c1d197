/**
 * How often one environment's stream asks its provider, and how it hears that it should
 * ask sooner. The provider keeps its own budget of backend calls (the AWS provider's
 * shared room reads and per-family rate limits); these intervals only bound how stale a
 * watched page may get. Every delay carries ±20% jitter, so a room of streams started
 * together never polls in lockstep.
 */
export const streamCadence = {
  /** Something is changing (deploy, scale, tasks starting): poll this often. */
  changingMs: 1_000,
  /** Settled but watched. */
  settledMs: 3_000,
};

export function pollDelay(settled: boolean, random: () => number = Math.random): number {
  const base = settled ? streamCadence.settledMs : streamCadence.changingMs;
  return Math.round(base * (0.8 + 0.4 * random()));
}
