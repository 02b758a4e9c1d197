import { describe } from "vitest";
import { contractEnvironment, providerContract } from "../provider-contract";
import { FakeProvider } from "./index";

// The fake provider passes the same contract as the real ones, so what the unit tests
// learn with it holds for them.
describe("the fake provider keeps the provider contract", () => {
  const provider = new FakeProvider({ maxWorkers: 4 });
  let n = 0;
  providerContract(() => ({
    provider,
    newEnvironment: () => contractEnvironment("fake", ++n),
    platform: {
      async settle(env) {
        provider.settle(env.id);
        return provider.describe(env);
      },
      async schedulerWrites(env) {
        provider.log(env.id, "distributed.scheduler - INFO - Receive client connection: Client-contract");
        return "Client-contract";
      },
    },
  }));
});
