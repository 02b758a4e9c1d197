import "vitest";

// What the aws and stream projects' global setup (test/moto/global-setup.mjs) provides to
// their tests: the moto server's address, read with inject("motoEndpoint").
declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}
