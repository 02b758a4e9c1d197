import { DescribeStacksCommand, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { StackStatus } from "../types";
import type { RateLimiter } from "./limiter";
import { attendeeTagKey, environmentTagKey, eventTagKey, tagValue, toStackStatus } from "./stack";

export interface EventStack {
  stackName: string;
  attendeeId: string;
  /** The portal environment that created it, when the portal did. */
  environmentId?: string;
  status: StackStatus;
}

/**
 * Every live stack tagged with the event and an attendee, from DescribeStacks pages
 * (CloudFormation has no server-side tag filter). The facilitator's event stack is
 * tagged "facilitator" and left out.
 */
export async function listEventStacks(cfn: CloudFormationClient, limiter: RateLimiter, eventId: string): Promise<EventStack[]> {
  const stacks: EventStack[] = [];
  let nextToken: string | undefined;
  do {
    const page = await limiter.run("cfn-read", () => cfn.send(new DescribeStacksCommand({ NextToken: nextToken })));
    for (const stack of page.Stacks ?? []) {
      const attendeeId = tagValue(stack, attendeeTagKey);
      if (tagValue(stack, eventTagKey) !== eventId || !attendeeId || attendeeId === "facilitator") continue;
      if (stack.StackStatus === "DELETE_COMPLETE") continue;
      stacks.push({
        stackName: stack.StackName ?? "",
        attendeeId,
        environmentId: tagValue(stack, environmentTagKey),
        status: toStackStatus(stack.StackStatus),
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return stacks;
}
