import { afterAll } from "vitest";
import type { Cadence } from "@/lib/config";
import { holdTaskStates, startMoto } from "../moto/index.mjs";

/**
 * A moto server of this test file's own, stopped after it, with task states held for the
 * harness to play: what earlier files leave in the shared server (stacks, exports, task
 * states) must not decide this file's tests. Returns its endpoint.
 */
export async function ownMoto(): Promise<string> {
  const moto = await startMoto();
  afterAll(() => moto.stop());
  await holdTaskStates(moto.endpoint);
  return moto.endpoint;
}

/** A polling cadence that reads everything afresh at every poll, so a test sees each change at once. */
export const eagerCadence: Cadence = { changingMs: 0, settledMs: 0, settledStacksMs: 0, logsMs: 0, overlapMs: 10_000 };
