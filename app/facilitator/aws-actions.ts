"use server";

import { z } from "zod";
import { runAction } from "@/lib/actions";
import type { Viewer } from "@/lib/auth/session";
import { audit } from "@/lib/db/queries";
import { PortalError } from "@/lib/errors";
import { getProvider } from "@/lib/providers";
import { loadAwsConfig, type AwsProvider } from "@/lib/providers/aws";
import { createAwsClients } from "@/lib/providers/aws/clients";
import { deleteEventStack, deployEventStack, eventStackStatus, type EventStackView } from "@/lib/providers/aws/event-stack";
import { createServiceQuotasClient } from "@/lib/providers/aws/extra-clients";
import { runPreflight, type PreflightDeps, type PreflightResult } from "@/lib/providers/aws/preflight";
import { ProviderError } from "@/lib/providers/types";
import { requireFacilitatorRole } from "@/lib/room/facilitator";

// The facilitator's AWS tools: preflight (account headroom) and the event stack. They
// read the same configuration as the provider, keep their own clients (made once per
// process) and draw from the provider's call budget, ahead of its background polling.
const holder = globalThis as unknown as { __facilitatorAws?: PreflightDeps };

function facilitatorAws(): { deps: PreflightDeps; provider: AwsProvider } {
  const provider = getProvider();
  if (provider.name !== "aws") throw new PortalError("bad_request", "These checks apply to the AWS provider only.");
  const aws = provider as AwsProvider;
  if (!holder.__facilitatorAws) {
    const config = loadAwsConfig();
    const clients = createAwsClients(config);
    holder.__facilitatorAws = {
      config,
      cfn: clients.cfn,
      ecs: clients.ecs,
      ec2: clients.ec2,
      quotas: createServiceQuotasClient(config),
      limiter: aws.limiter,
    };
  }
  return { deps: holder.__facilitatorAws, provider: aws };
}

function toPortalError(error: unknown): unknown {
  if (!(error instanceof ProviderError)) return error;
  const code = error.code === "bad_request" ? "bad_request" : error.code === "not_found" ? "not_found" : "unavailable";
  return new PortalError(code, error.message);
}

/** Runs one facilitator AWS action and writes its audit line, whether it worked or not. */
async function audited<T>(viewer: Viewer, action: string, target: string, work: () => Promise<T>, detail: (result: T) => string) {
  try {
    const result = await work();
    audit({ actorId: viewer.id, actorRole: "facilitator", action, target, result: "ok", detail: detail(result) });
    return result;
  } catch (error) {
    audit({ actorId: viewer.id, actorRole: "facilitator", action, target, result: "error", detail: error instanceof Error ? error.message.slice(0, 500) : "failed" });
    throw toPortalError(error);
  }
}

const attendeesSchema = z.coerce.number().int().min(0).max(10_000);

export async function preflightAction(attendees: number) {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    const parsed = attendeesSchema.safeParse(attendees);
    if (!parsed.success) throw new PortalError("bad_request", "Enter the number of attendees as a whole number from 0 to 10000.");
    return audited<PreflightResult>(
      viewer,
      "aws-preflight",
      `${parsed.data} attendees`,
      () => runPreflight(facilitatorAws().deps, { attendees: parsed.data }),
      (r) => r.lines.map((l) => `${l.key}=${l.status}`).join(", "),
    );
  });
}

const statusDetail = (v: EventStackView) => `${v.status}${v.reason ? `: ${v.reason}` : ""}`;

export async function eventStackStatusAction() {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    // A read the panel repeats every few seconds while the stack changes: not an action to audit.
    return eventStackStatus(facilitatorAws().deps);
  });
}

const requestIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

export async function deployEventStackAction(requestId: string) {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    const parsed = requestIdSchema.safeParse(requestId);
    if (!parsed.success) throw new PortalError("bad_request", "The deploy request has no valid id; reload the page.");
    const { deps } = facilitatorAws();
    return audited(viewer, "event-stack-deploy", deps.config.eventStack ?? "solo", () => deployEventStack(deps, parsed.data), statusDetail);
  });
}

export async function deleteEventStackAction() {
  return runAction(async (viewer) => {
    requireFacilitatorRole(viewer);
    const { deps, provider } = facilitatorAws();
    return audited(
      viewer,
      "event-stack-delete",
      deps.config.eventStack ?? "solo",
      () => deleteEventStack(deps, () => provider.listEventStacks()),
      statusDetail,
    );
  });
}
