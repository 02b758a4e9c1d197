/**
 * On-demand list prices the cost estimate uses. Versioned: when AWS changes a price,
 * add a new table with its date rather than editing this one, so old reports stay true.
 * On-demand list prices as published on the AWS pricing pages (Fargate for the CPU
 * architecture the templates run); check them before an event.
 */
export interface PriceTable {
  version: string;
  region: string;
  currency: "USD";
  fargate: { vcpuHour: number; gbHour: number };
  /** Fargate Spot is priced per hour too; it moves with capacity, so this is a typical figure. */
  fargateSpot: { vcpuHour: number; gbHour: number };
  natGatewayHour: number;
  /**
   * Every public IPv4 address, in use or idle, since 2024-02-01: the scheduler task's
   * address (it is in a public subnet so a browser can reach its dashboard) and a NAT
   * gateway's Elastic IP. Absent from tables written before the charge.
   */
  publicIpv4Hour?: number;
  notebookHour: Record<string, number>;
  /** Data through a NAT gateway, per GB processed (absent from the first table). */
  natGatewayGb?: number;
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestGb?: number;
  /** A notebook instance's ML storage volume, per GB-month (730 hours). */
  notebookVolumeGbMonth?: number;
}

/**
 * The default region since ERA5 moved to s3://nsf-ncar-era5 in us-west-2, and Graviton
 * (Linux/ARM64) Fargate, which the templates run since Fargate Spot takes ARM64 tasks.
 * Oregon lists the same Fargate, NAT gateway and notebook-instance rates as N. Virginia;
 * Fargate Spot moves with spare capacity, so its figure is typical (~69 % below on-demand),
 * not quoted.
 */
export const PRICES_2026_12_US_WEST_2: PriceTable = {
  version: "2026-12-02",
  region: "us-west-2",
  currency: "USD",
  fargate: { vcpuHour: 0.03238, gbHour: 0.00356 },
  fargateSpot: { vcpuHour: 0.0102, gbHour: 0.00112 },
  natGatewayHour: 0.045,
  publicIpv4Hour: 0.005,
  // https://aws.amazon.com/vpc/pricing/ (NAT gateway data processing), https://aws.amazon.com/cloudwatch/pricing/
  // (Logs, standard ingestion), https://aws.amazon.com/sagemaker/pricing/ (ML storage), us-west-2.
  natGatewayGb: 0.045,
  logsIngestGb: 0.5,
  notebookVolumeGbMonth: 0.14,
  notebookHour: {
    "ml.t3.medium": 0.05,
    "ml.t3.large": 0.1,
    "ml.t3.xlarge": 0.2,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
  },
};

export const CURRENT_PRICES = PRICES_2026_12_US_WEST_2;
