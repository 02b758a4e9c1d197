// Vitest runs outside React's server environment, where the real "server-only"
// package throws on import; tests are server code, so the guard is moot there.
export {};
