import { DescribeServicesCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { RateLimiter } from "./limiter";

interface Count {
  desired: number;
  at: number;
}

/**
 * Worker services' desired counts. When one is needed fresher than it is, every service
 * of the same cluster that is half as stale comes along in the same DescribeServices
 * calls (10 services each), so a room of environments refreshes together, not one call
 * per environment.
 */
export class ServiceCounts {
  private counts = new Map<string, Map<string, Count>>();
  private running = new Map<string, Promise<void>>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly limiter: RateLimiter,
  ) {}

  async desired(cluster: string, service: string, freshAfter: number): Promise<number> {
    const services = this.cluster(cluster);
    if (!services.has(service)) services.set(service, { desired: 0, at: 0 });
    for (let round = 0; round < 2; round++) {
      const count = services.get(service);
      if (count && count.at >= freshAfter) return count.desired;
      const inflight = this.running.get(cluster);
      if (inflight) await inflight;
      else await this.refresh(cluster, freshAfter);
    }
    return services.get(service)?.desired ?? 0;
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

  private refresh(cluster: string, freshAfter: number): Promise<void> {
    const run = (async () => {
      const startedAt = Date.now();
      const halfStale = startedAt - (startedAt - freshAfter) / 2;
      const services = this.cluster(cluster);
      const due = [...services.entries()].filter(([, c]) => c.at < halfStale).map(([name]) => name);
      for (let i = 0; i < due.length; i += 10) {
        const batch = due.slice(i, i + 10);
        const page = await this.limiter.run("ecs-read", () =>
          this.ecs.send(new DescribeServicesCommand({ cluster, services: batch })),
        );
        const found = new Map<string, number>();
        for (const s of page.services ?? []) {
          found.set(s.serviceName ?? "", s.desiredCount ?? 0);
          found.set(s.serviceArn ?? "", s.desiredCount ?? 0);
        }
        for (const name of batch) services.set(name, { desired: found.get(name) ?? 0, at: startedAt });
      }
    })();
    const settled = run.finally(() => this.running.delete(cluster));
    this.running.set(cluster, settled);
    return settled;
  }
}
