export async function register() {
  // Only the Node.js server adopts environments; the edge runtime has no processes to find.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getHub } = await import("@/lib/stream/hub");
  const { startRoom } = await import("@/lib/room");
  try {
    startRoom();
    await getHub().start();
  } catch (err) {
    console.error("could not resume environments at start-up:", err instanceof Error ? err.message : err);
  }
}
