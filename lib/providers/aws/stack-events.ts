import { DescribeStackEventsCommand, type CloudFormationClient, type StackEvent } from "@aws-sdk/client-cloudformation";
import { maxStackEventPages } from "./events";
import type { RateLimiter } from "./limiter";
import { Refreshing } from "./refreshing";

/** Events kept per stack, newest first: more than any workshop stack's operation emits. */
const keepPerStack = 1_000;

/**
 * Each stack's events, newest first, fetched only as far back as the newest event
 * already known, and shared by describe() (progress, failure reason) and events()
 * (the stream's stack-event lines), so one stack costs one call per refresh.
 */
export class StackEventLog {
  private stacks = new Map<string, Refreshing<StackEvent[]>>();

  constructor(
    private readonly cfn: CloudFormationClient,
    private readonly limiter: RateLimiter,
    private readonly retryMs: number,
  ) {}

  /** The stack's events, as of `freshAfter` (epoch ms) or later. */
  events(stackId: string, freshAfter: number): Promise<StackEvent[]> {
    let entry = this.stacks.get(stackId);
    if (!entry) {
      entry = new Refreshing((known) => this.load(stackId, known ?? []), this.retryMs);
      this.stacks.set(stackId, entry);
    }
    return entry.get(freshAfter);
  }

  /** The stack's events as last read, however old, without asking AWS. */
  cached(stackId: string): StackEvent[] | undefined {
    return this.stacks.get(stackId)?.last;
  }

  /** Stops keeping a stack's events (it is gone and its stream has them all). */
  forget(stackId: string): void {
    this.stacks.delete(stackId);
  }

  private async load(stackId: string, known: StackEvent[]): Promise<StackEvent[]> {
    const knownIds = new Set(known.map((e) => e.EventId));
    const fresh: StackEvent[] = [];
    let nextToken: string | undefined;
    pages: for (let page = 0; page < maxStackEventPages; page++) {
      const response = await this.limiter.run("cfn-events", () =>
        this.cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken })),
        { background: true },
      );
      for (const event of response.StackEvents ?? []) {
        if (knownIds.has(event.EventId)) break pages;
        fresh.push(event);
      }
      nextToken = response.NextToken;
      if (!nextToken) break;
    }
    return [...fresh, ...known].slice(0, keepPerStack);
  }
}
