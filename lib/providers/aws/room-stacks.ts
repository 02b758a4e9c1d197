import type { CloudFormationClient, Stack } from "@aws-sdk/client-cloudformation";
import type { RateLimiter } from "./limiter";
import { Refreshing } from "./refreshing";
import { describeAllStacks } from "./stack-reads";

/**
 * Every live stack of the account by name, from DescribeStacks pages with no stack
 * name: in event mode the status of the whole room is a page or two per refresh,
 * however many environments it holds.
 */
export class RoomStacks {
  private listing: Refreshing<Map<string, Stack>>;

  constructor(cfn: CloudFormationClient, limiter: RateLimiter, retryMs: number) {
    this.listing = new Refreshing(async () => {
      const stacks = new Map<string, Stack>();
      for (const stack of await describeAllStacks(cfn, limiter, { background: true })) {
        if (stack.StackName) stacks.set(stack.StackName, stack);
      }
      return stacks;
    }, retryMs);
  }

  /** The listing as of `freshAfter` (epoch ms) or later; with `waitMs`, see Refreshing.getSoon. */
  get(freshAfter: number, waitMs = 0): Promise<Map<string, Stack>> {
    return this.listing.getSoon(freshAfter, waitMs);
  }
}
