// The provider contract, in one import: the core (core.ts), the optional capabilities
// (cloud, image, rehearsal, capacity), the paths of proxied servers and the provider's error.
export * from "./core";
export * from "./cloud";
export * from "./image";
export * from "./rehearsal";
export * from "./capacity";
export * from "./proxied";
export * from "./errors";
export * from "./log-line";
