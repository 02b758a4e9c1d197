import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { StackStatus } from "../types";
import type { RateLimiter } from "./limiter";
import { attendeeTagKey, environmentTagKey, tagValue, toStackStatus } from "./stack";
import { eventAttendeeStacks } from "./stack-reads";

export interface EventStack {
  stackName: string;
  attendeeId: string;
  /** The portal environment that created it, when the portal did. */
  environmentId?: string;
  status: StackStatus;
}

/** Every live attendee stack of the event, as reconciliation needs it. */
export async function listEventStacks(cfn: CloudFormationClient, limiter: RateLimiter, eventId: string): Promise<EventStack[]> {
  return (await eventAttendeeStacks(cfn, limiter, eventId)).map((stack) => ({
    stackName: stack.StackName ?? "",
    attendeeId: tagValue(stack, attendeeTagKey) ?? "",
    environmentId: tagValue(stack, environmentTagKey),
    status: toStackStatus(stack.StackStatus),
  }));
}
