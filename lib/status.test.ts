import { describe, expect, it } from "vitest";
import { hasReason, isDeletable, isFailed, isLive, isReady, isScalable, stackStatuses, stackTone, teardownLabel } from "./status";

// One vocabulary means the roster's "failed" filter, the error column, the red badge and
// the "delete and start over" button all agree about every status.
describe("the stack status vocabulary", () => {
  it("calls a create that is rolling back failed everywhere, as it calls the rolled-back one", () => {
    for (const status of ["CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"]) {
      expect([isFailed(status), hasReason(status), stackTone(status)], status).toEqual([true, true, "bad"]);
      expect(isScalable(status), status).toBe(false);
    }
    expect(teardownLabel("ROLLBACK_IN_PROGRESS")).toBe("Delete and start over");
    expect(teardownLabel("DELETE_FAILED")).toBe("Retry the deletion");
  });

  it("sorts every status into exactly one of ready, in progress, failed or gone", () => {
    for (const status of stackStatuses) {
      const kinds = [isReady(status) && status !== "UPDATE_IN_PROGRESS", status.endsWith("_IN_PROGRESS") && !isFailed(status), isFailed(status), !isLive(status)];
      expect(kinds.filter(Boolean), status).toHaveLength(1);
    }
  });

  it("offers tear-down for whatever exists and is not already being deleted", () => {
    expect(stackStatuses.filter(isDeletable)).toEqual(stackStatuses.filter((s) => s !== "DELETE_IN_PROGRESS" && s !== "DELETE_COMPLETE"));
    expect(isDeletable("none")).toBe(false);
  });
});
