import { DescribeStacksCommand, type CloudFormationClient, type Stack } from "@aws-sdk/client-cloudformation";
import type { RateLimiter } from "./limiter";
import { Refreshing } from "./refreshing";

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
      let nextToken: string | undefined;
      do {
        const page = await limiter.run("cfn-read", () => cfn.send(new DescribeStacksCommand({ NextToken: nextToken })), { background: true });
        for (const stack of page.Stacks ?? []) if (stack.StackName) stacks.set(stack.StackName, stack);
        nextToken = page.NextToken;
      } while (nextToken);
      return stacks;
    }, retryMs);
  }

  /** The listing as of `freshAfter` (epoch ms) or later; with `waitMs`, see Refreshing.getSoon. */
  get(freshAfter: number, waitMs = 0): Promise<Map<string, Stack>> {
    return this.listing.getSoon(freshAfter, waitMs);
  }
}
