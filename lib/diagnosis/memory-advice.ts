import "server-only";
import type { PortalConfig } from "@/lib/config";

/**
 * What "raise worker memory" means for this portal: worker memory is a setting read at start
 * (locally PORTAL_LOCAL_WORKER_MEMORY; on AWS the attendee template's WorkerSize), so the
 * card names the setting, its value now and the next step up; the redeploy then applies it.
 */
export function memoryAdvice(config: PortalConfig): string {
  if (config.provider === "local") {
    const mib = config.local.workerMemoryMiB * 2;
    const next = mib % 1024 === 0 ? `${mib / 1024}GiB` : `${mib}MiB`;
    return (
      `Workers have ${config.local.workerMemory} each (PORTAL_LOCAL_WORKER_MEMORY). Set it to ${next}, check on the Capacity card ` +
      "how many environments still fit, restart the portal, then tear down and redeploy these."
    );
  }
  return (
    "Workers get their memory from the attendee template's WorkerSize (cloudformation/attendee.yaml, default 1vCPU-8GB). " +
    "Raise it one size (2vCPU-16GB: twice the memory), check the Fargate vCPU quota on the preflight card, then tear down and redeploy these."
  );
}
