// Vitest global setup for the AWS integration tests: one moto server for the run,
// handed to the tests as inject("motoEndpoint"), stopped when the run ends.
import { startMoto } from "./server.mjs";
import { holdTaskStates } from "./fargate.mjs";

/** @param {{ provide: (key: string, value: unknown) => void }} project */
export default async function setup(project) {
  const moto = await startMoto();
  await holdTaskStates(moto.endpoint);
  project.provide("motoEndpoint", moto.endpoint);
  return () => moto.stop();
}
