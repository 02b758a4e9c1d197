// The moto harness other suites reuse (vitest, Playwright, benchmarks).
export { startMoto, motoTemplateTransform, motoCredentials, motoRegion, repoRoot, setIamEnforcement } from "./server.mjs";
export {
  deployEventStack,
  drainTasks,
  givePrivateAddress,
  givePublicAddress,
  holdTaskStates,
  motoClients,
  playFargate,
  playerStartedBy,
  prepareStackDeletion,
  putLogLines,
  runTask,
  stackOutputs,
  stopTask,
} from "./fargate.mjs";
