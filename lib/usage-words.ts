import type { UsageUnit } from "@/lib/providers/contract";

// How a provider's measure of use is shown: CPU seconds of real processes, or an
// estimate in dollars. Safe in the browser.

export function usageLabel(unit: UsageUnit, what: "total" | "column"): string {
  if (unit === "cpu-seconds") return what === "total" ? "CPU seconds used" : "CPU seconds";
  return what === "total" ? "Accrued cost (estimate)" : "Cost";
}

/** "12.3" CPU seconds, "$0.042" for one environment, "$1.23" for the room. */
export function formatUsage(unit: UsageUnit, amount: number, scale: "one" | "room" = "one"): string {
  if (unit === "cpu-seconds") return amount.toFixed(1);
  return `$${amount.toFixed(scale === "room" ? 2 : 3)}`;
}

export function usageChartUnit(unit: UsageUnit): string {
  return unit === "cpu-seconds" ? "CPU s" : "USD";
}
