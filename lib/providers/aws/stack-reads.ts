import { DescribeStacksCommand, type CloudFormationClient, type Stack } from "@aws-sdk/client-cloudformation";
import { errorName } from "./errors";
import type { CallOptions, RateLimiter } from "./limiter";
import { attendeeTagKey, eventTagKey, tagValue } from "./stack";

/** One stack by name or id, or undefined when CloudFormation says it does not exist. */
export async function describeStack(
  cfn: CloudFormationClient,
  limiter: RateLimiter,
  stackName: string,
  options?: CallOptions,
): Promise<Stack | undefined> {
  try {
    const { Stacks } = await limiter.run("cfn-read", () => cfn.send(new DescribeStacksCommand({ StackName: stackName })), options);
    return Stacks?.[0];
  } catch (error) {
    if (errorName(error) === "ValidationError" && /does not exist/i.test(String((error as Error).message))) return undefined;
    throw error;
  }
}

/** Every live stack of the account, DescribeStacks page by page (no stack name). */
export async function describeAllStacks(cfn: CloudFormationClient, limiter: RateLimiter, options?: CallOptions): Promise<Stack[]> {
  const stacks: Stack[] = [];
  let nextToken: string | undefined;
  do {
    const page = await limiter.run("cfn-read", () => cfn.send(new DescribeStacksCommand({ NextToken: nextToken })), options);
    stacks.push(...(page.Stacks ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return stacks;
}

/**
 * The attendee stacks of the event: tagged with the event and an attendee (CloudFormation
 * has no server-side tag filter), not yet deleted. The facilitator's event stack is tagged
 * "facilitator" and left out.
 */
export async function eventAttendeeStacks(cfn: CloudFormationClient, limiter: RateLimiter, eventId: string): Promise<Stack[]> {
  return (await describeAllStacks(cfn, limiter)).filter((stack) => {
    const attendee = tagValue(stack, attendeeTagKey);
    return tagValue(stack, eventTagKey) === eventId && attendee && attendee !== "facilitator" && stack.StackStatus !== "DELETE_COMPLETE";
  });
}
