/**
 * On-demand list prices the cost estimate uses. Versioned: when AWS changes a price,
 * add a new table with its date rather than editing this one, so old reports stay true.
 * Linux/x86, us-east-1, as published on the AWS pricing pages; check before an event.
 */
export interface PriceTable {
  version: string;
  region: string;
  currency: "USD";
  fargate: { vcpuHour: number; gbHour: number };
  /** Fargate Spot is priced per hour too; it moves with capacity, so this is a typical figure. */
  fargateSpot: { vcpuHour: number; gbHour: number };
  natGatewayHour: number;
  notebookHour: Record<string, number>;
}

export const PRICES_2026_11_US_EAST_1: PriceTable = {
  version: "2026-11-01",
  region: "us-east-1",
  currency: "USD",
  fargate: { vcpuHour: 0.04048, gbHour: 0.004445 },
  fargateSpot: { vcpuHour: 0.01275, gbHour: 0.0014 },
  natGatewayHour: 0.045,
  notebookHour: {
    "ml.t3.medium": 0.05,
    "ml.t3.large": 0.1,
    "ml.t3.xlarge": 0.2,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
  },
};

export const CURRENT_PRICES = PRICES_2026_11_US_EAST_1;
