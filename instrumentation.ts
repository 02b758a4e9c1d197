export async function register() {
  // Only the Node.js server runs the portal's runtime; the edge runtime has no processes to find.
  // NEXT_RUNTIME is Next.js's, not the portal's configuration: the bundler writes its value in here,
  // which drops the imports below from the edge build; a helper in lib/config.ts would keep them.
  // eslint-disable-next-line no-restricted-properties
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { ready } = await import("@/lib/runtime");
  const { startContentServer } = await import("@/lib/content");
  try {
    await startContentServer(await ready());
  } catch (err) {
    console.error("could not start the portal's runtime:", err instanceof Error ? err.message : err);
  }
}
