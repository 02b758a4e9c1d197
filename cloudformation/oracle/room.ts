import { missingCapabilities } from "./capabilities";
import type { Deployment } from "./deployments";
import { checkStack, denied, TagRegistry, type Check, type OracleInput } from "./oracle";
import { StackResolver } from "./resolve";

export interface RoomVerdict {
  checks: Check[];
  denied: Check[];
  /** "event.yaml: CAPABILITY_IAM" for each acknowledgement the portal leaves out. */
  capabilities: string[];
}

/** The whole room checked in creation order; each stack imports the exports of those before it. */
export async function checkRoom(deployments: Deployment[], oracle: OracleInput): Promise<RoomVerdict> {
  const registry = new TagRegistry();
  const exports: Record<string, string> = {};
  const checks: Check[] = [];
  const capabilities: string[] = [];
  for (const deployment of deployments) {
    const stack = { ...deployment.stack, exports: { ...exports, ...deployment.stack.exports } };
    for (const missing of missingCapabilities(stack.template, deployment.capabilities)) capabilities.push(`${deployment.file}: ${missing}`);
    checks.push(...(await checkStack(stack, oracle, registry)));
    Object.assign(exports, new StackResolver(stack).exports());
  }
  return { checks, denied: denied(checks), capabilities: [...new Set(capabilities)] };
}
