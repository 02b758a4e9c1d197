import { DescribeServicesCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { RateLimiter } from "./limiter";
import { orAfter } from "./refreshing";

/** Services per DescribeServices call (the API's limit). */
const batchSize = 10;

interface Count {
  desired: number;
  at: number;
}

/**
 * Worker services' desired counts. A refresh is one DescribeServices call of 10: the service
 * asked for, then the cluster's other services needed fresher than they are, stalest first,
 * then the stalest of the rest. A room of environments refreshes a batch at a time, never one
 * call per environment, one environment that needs its count now (it was just scaled) costs
 * one call, and a room whose counts all fell due together is read call by call as each is
 * asked for, not in one burst of the whole room.
 */
export class ServiceCounts {
  private counts = new Map<string, Map<string, Count>>();
  private running = new Map<string, Promise<void>>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * The service's desired count as of `freshAfter` (epoch ms) or later. With `waitMs`, a
   * count read before answers when the refresh takes longer than that; the refresh goes
   * on for the next caller. A count never read (or invalidated) is always waited for.
   */
  async desired(cluster: string, service: string, freshAfter: number, waitMs = 0): Promise<number> {
    const services = this.cluster(cluster);
    const atHand = services.get(service);
    if (!atHand) services.set(service, { desired: 0, at: 0 });
    if (!atHand || atHand.at === 0 || waitMs <= 0 || atHand.at >= freshAfter) return this.fresh(cluster, service, freshAfter);
    return orAfter(this.fresh(cluster, service, freshAfter), waitMs, atHand.desired);
  }

  private async fresh(cluster: string, service: string, freshAfter: number): Promise<number> {
    const services = this.cluster(cluster);
    for (;;) {
      const count = services.get(service);
      if (count && count.at >= freshAfter) return count.desired;
      const inflight = this.running.get(cluster);
      if (inflight) {
        // Another caller's refresh may carry this service along; if not, ask once it is done.
        await inflight;
        continue;
      }
      // A refresh this call starts reads its own service first.
      await this.refresh(cluster, freshAfter, service);
      return services.get(service)?.desired ?? 0;
    }
  }

  /** The next read of the service asks ECS (e.g. after a scale). */
  invalidate(cluster: string, service: string): void {
    const count = this.cluster(cluster).get(service);
    if (count) count.at = 0;
  }

  private cluster(cluster: string): Map<string, Count> {
    let services = this.counts.get(cluster);
    if (!services) {
      services = new Map();
      this.counts.set(cluster, services);
    }
    return services;
  }

  private refresh(cluster: string, freshAfter: number, first: string): Promise<void> {
    const run = (async () => {
      const startedAt = Date.now();
      const services = this.cluster(cluster);
      const byAge = [...services.entries()].filter(([name]) => name !== first).sort(([, a], [, b]) => a.at - b.at);
      const needed = byAge.filter(([, c]) => c.at < freshAfter).map(([name]) => name);
      const rest = byAge.filter(([, c]) => c.at >= freshAfter).map(([name]) => name);
      const batch = [first, ...needed, ...rest].slice(0, batchSize);
      const page = await this.limiter.run("ecs-read", () =>
        this.ecs.send(new DescribeServicesCommand({ cluster, services: batch })),
        { background: true },
      );
      const found = new Map<string, number>();
      for (const s of page.services ?? []) {
        found.set(s.serviceName ?? "", s.desiredCount ?? 0);
        found.set(s.serviceArn ?? "", s.desiredCount ?? 0);
      }
      for (const name of batch) services.set(name, { desired: found.get(name) ?? 0, at: startedAt });
    })();
    const settled = run.finally(() => this.running.delete(cluster));
    this.running.set(cluster, settled);
    return settled;
  }
}
