import type { ImageBuildView, RoomImage } from "@/lib/providers/contract";

// What the facilitator reads about the room's image: pure functions, for the page and its tests.

/** A warning when the room's image was not built from this portal's pins, saying what to do; null when they match. */
export function pinsWarning(room: RoomImage): string | null {
  if (!room.image) return null;
  const fix =
    room.source === "configured"
      ? "Build an image from this checkout's docker/ and set DASK_IMAGE to it (or unset DASK_IMAGE and build the room's image here), then restart the portal."
      : "Press “Build the room's image” to build one from this checkout's docker/; deploys after it succeeds use the new image.";
  if (room.imagePins === null) {
    return `The room's image (${room.image}) carries no pins tag, so the portal cannot tell whether its packages match the notebook's (pins-${room.portalPins}). ${fix}`;
  }
  if (room.imagePins === room.portalPins) return null;
  return `The room's image was built from other pins (pins-${room.imagePins}) than this portal's docker/requirements.txt (pins-${room.portalPins}): workers would not match the notebook's packages. ${fix}`;
}

/** One sentence on how a build ended, naming the failing phase in CodeBuild's words. */
export function buildOutcome(build: ImageBuildView): string {
  if (build.status === "IN_PROGRESS") return `Building: ${build.currentPhase ?? "starting"}.`;
  if (build.status === "SUCCEEDED") return `The build succeeded${build.image ? `: ${build.image}` : ""}.`;
  const failed = build.failedPhase;
  return failed
    ? `The build ${build.status === "TIMED_OUT" ? "timed out" : "failed"} in ${failed.phase} (${failed.status ?? build.status})${failed.message ? `: ${failed.message}` : "."}`
    : `The build ended ${build.status}.`;
}
