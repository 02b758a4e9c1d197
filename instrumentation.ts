export async function register() {
  // Only the Node.js server runs the portal's runtime; the edge runtime has no processes to find.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { ready } = await import("@/lib/runtime");
  const { startContentServer } = await import("@/lib/content");
  try {
    await startContentServer(await ready());
  } catch (err) {
    console.error("could not start the portal's runtime:", err instanceof Error ? err.message : err);
  }
}
