import type { FoundStack } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { toProviderError } from "./errors";
import { attendeeTagKey, environmentTagKey, tagValue, toStackStatus } from "./stack";
import { eventAttendeeStacks } from "./stack-reads";

/** Every live attendee stack of the event, as reconciliation needs it. */
export async function listFoundStacks(ctx: AwsContext): Promise<FoundStack[]> {
  try {
    return (await eventAttendeeStacks(ctx.clients.cfn, ctx.limiter, ctx.config.eventId)).map((stack) => ({
      stackName: stack.StackName ?? "",
      attendeeId: tagValue(stack, attendeeTagKey) ?? "",
      environmentId: tagValue(stack, environmentTagKey),
      status: toStackStatus(stack.StackStatus),
    }));
  } catch (error) {
    throw toProviderError(error, "listing the event's stacks");
  }
}
