import "server-only";
import type { CloudTools } from "../types";
import type { AwsContext } from "./context";
import { deleteEventStack, deployEventStack, eventStackStatus } from "./event-stack";
import { runPreflight } from "./preflight";
import { createEcsServiceLinkedRole } from "./preflight-checks";
import { listFoundStacks } from "./reconcile";

/**
 * The facilitator's account tools. They use the provider's own clients and call budget,
 * and as someone's actions their calls go before the room's background polling.
 */
export function cloudTools(ctx: AwsContext): CloudTools {
  return {
    preflight: (attendees) => runPreflight(ctx, { attendees }),
    createEcsServiceLinkedRole: () => createEcsServiceLinkedRole(ctx),
    eventStack: () => eventStackStatus(ctx),
    deployEventStack: (requestId) => deployEventStack(ctx, requestId),
    deleteEventStack: () => deleteEventStack(ctx, () => listFoundStacks(ctx)),
  };
}
