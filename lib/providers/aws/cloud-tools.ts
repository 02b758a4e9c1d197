import "server-only";
import type { CloudTools } from "@/lib/providers/contract";
import { activateCostAllocationTag, requestQuotaIncrease } from "./before-event";
import type { AwsContext } from "./context";
import { deleteEventStack, deployEventStack, eventStackStatus } from "./event-stack";
import { createLinkedRole } from "./linked-roles";
import { roomQuotaService, runPreflight } from "./preflight";
import { listFoundStacks } from "./reconcile";

/**
 * The facilitator's account tools. They use the provider's own clients and call budget,
 * and as someone's actions their calls go before the room's background polling.
 */
export function cloudTools(ctx: AwsContext): CloudTools {
  return {
    preflight: (attendees) => runPreflight(ctx, { attendees }),
    createServiceLinkedRole: (service) => createLinkedRole(ctx, service),
    requestQuotaIncrease: (quotaCode, desired) => requestQuotaIncrease(ctx, (code) => roomQuotaService(ctx, code), quotaCode, desired),
    activateCostAllocationTag: () => activateCostAllocationTag(ctx),
    eventStack: () => eventStackStatus(ctx),
    deployEventStack: (requestId) => deployEventStack(ctx, requestId),
    deleteEventStack: () => deleteEventStack(ctx, () => listFoundStacks(ctx)),
  };
}
