import { createHash } from "node:crypto";
import { CreateStackCommand, DeleteStackCommand, DescribeStackEventsCommand } from "@aws-sdk/client-cloudformation";
import { DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { hasReason, isFailed } from "@/lib/status";
import { ProviderError, type EventStackView, type FoundStack } from "@/lib/providers/contract";
import type { AwsProviderConfig } from "./config";
import type { AwsContext } from "./context";
import { errorName, toProviderError } from "./errors";
import { linkedRoleMissing, linkedRoles } from "./linked-roles";
import { describeStack } from "./stack-reads";
import { currentOperation, eventStackRequest, failureReason, outputsOf, templateBody, templateCapabilities, toStackStatus } from "./stack";

// The facilitator's event stack (cloudformation/event.yaml): what the room shares in
// event mode. Deployed once before the session, deleted once every attendee stack is gone
// (their imports would block the deletion half-way otherwise).

function requireEventStack(config: AwsProviderConfig): string {
  if (config.mode !== "event" || !config.eventStack) {
    throw new ProviderError("bad_request", "The portal runs in solo mode: each attendee stack has its own network, so there is no event stack.");
  }
  return config.eventStack;
}

/** The event stack's status, with the failing resource's reason when it failed or is being deleted. */
export async function eventStackStatus(ctx: AwsContext): Promise<EventStackView> {
  const { config } = ctx;
  if (config.mode !== "event" || !config.eventStack) return { mode: "solo", stackName: null, status: "NOT_DEPLOYED", outputs: {} };
  try {
    const stack = await describeStack(ctx.clients.cfn, ctx.limiter, config.eventStack);
    if (!stack) return { mode: "event", stackName: config.eventStack, status: "NOT_DEPLOYED", outputs: {} };
    const status = toStackStatus(stack.StackStatus);
    let reason: string | undefined;
    if (hasReason(status)) {
      // The first page holds the newest events: enough for the operation that is failing now.
      const { StackEvents } = await ctx.limiter.run("cfn-read", () =>
        ctx.clients.cfn.send(new DescribeStackEventsCommand({ StackName: stack.StackId ?? config.eventStack })),
      );
      reason = failureReason(currentOperation(StackEvents ?? [], stack.StackName ?? ""), stack);
    }
    const updated = stack.LastUpdatedTime ?? stack.CreationTime;
    return {
      mode: "event",
      stackName: config.eventStack,
      status,
      ...(reason ? { reason } : {}),
      outputs: outputsOf(stack),
      ...(updated ? { updatedAt: new Date(updated).toISOString() } : {}),
    };
  } catch (error) {
    throw toProviderError(error, "reading the event stack");
  }
}

/** One token per facilitator request: a repeated click (same request) never makes a second stack. */
export function eventStackToken(config: AwsProviderConfig, requestId: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(requestId)) throw new ProviderError("bad_request", "The deploy request has no valid id.");
  const digest = createHash("sha256").update(`${config.eventStack}\n${config.eventId}\n${requestId}`).digest("hex");
  return `event-${digest.slice(0, 40)}`;
}

/** Starts creating the event stack unless it exists; returns its status either way. */
export async function deployEventStack(ctx: AwsContext, requestId: string): Promise<EventStackView> {
  const { config } = ctx;
  const stackName = requireEventStack(config);
  const token = eventStackToken(config, requestId);
  const current = await eventStackStatus(ctx);
  if (current.status !== "NOT_DEPLOYED" && isFailed(current.status)) {
    throw new ProviderError("bad_request", `The event stack is ${current.status}; delete it first, then deploy again.`);
  }
  if (current.status !== "NOT_DEPLOYED" && current.status !== "DELETE_COMPLETE") return current;
  if (await linkedRoleMissing(ctx, "ecs.amazonaws.com")) {
    return {
      ...current,
      refused: {
        sentence: `Not deployed: ${linkedRoles["ecs.amazonaws.com"].roleName} does not exist in this account yet, so CloudFormation would fail the event's cluster ("Unable to assume the service linked role").`,
        fix: "Create the ECS service-linked role, then deploy the event stack again.",
        action: { kind: "create-service-linked-role", service: "ecs.amazonaws.com" },
      },
    };
  }
  await ctx.notebookLogGroupReady();
  try {
    const body = await templateBody(config, "event.yaml");
    const role = await ctx.roleArgument();
    const boundary = await ctx.boundaryParameter();
    const { Parameters, Tags } = eventStackRequest(config);
    await ctx.limiter.run("cfn-write", () =>
      ctx.clients.cfn.send(
        new CreateStackCommand({
          StackName: stackName,
          TemplateBody: body,
          Parameters: [...Parameters, ...boundary],
          Tags,
          Capabilities: templateCapabilities["event.yaml"],
          ClientRequestToken: token,
          ...role,
        }),
      ),
    );
  } catch (error) {
    // Another request (a second tab) created it meanwhile: that is the stack we wanted.
    if (errorName(error) !== "AlreadyExistsException") throw toProviderError(error, "creating the event stack", stackName);
  }
  return eventStackStatus(ctx);
}

/** What blocks deleting the event stack: attendee stacks still importing its exports. */
export function deletionBlocker(attendeeStacks: FoundStack[]): string | undefined {
  if (attendeeStacks.length === 0) return undefined;
  const names = attendeeStacks.slice(0, 5).map((s) => s.stackName).join(", ");
  const more = attendeeStacks.length > 5 ? ` and ${attendeeStacks.length - 5} more` : "";
  const count = attendeeStacks.length === 1 ? "1 attendee stack still uses" : `${attendeeStacks.length} attendee stacks still use`;
  return `${count} the event stack (${names}${more}). Tear them down first and wait until they are gone, then delete the event stack.`;
}

/** Starts deleting the event stack, unless attendee stacks still exist. */
export async function deleteEventStack(ctx: AwsContext, listStacks: () => Promise<FoundStack[]>): Promise<EventStackView> {
  const stackName = requireEventStack(ctx.config);
  const blocker = deletionBlocker(await listStacks());
  if (blocker) throw new ProviderError("bad_request", blocker);
  try {
    const stack = await describeStack(ctx.clients.cfn, ctx.limiter, stackName);
    if (!stack) return eventStackStatus(ctx);
    const role = await ctx.roleArgument();
    // CloudFormation cannot delete a bucket that still holds objects: the build sources go first.
    const bucket = outputsOf(stack).ImageSourceBucket;
    if (bucket) await emptySourceBucket(ctx, bucket);
    await ctx.limiter.run("cfn-write", () =>
      ctx.clients.cfn.send(
        new DeleteStackCommand({
          StackName: stack.StackId ?? stackName,
          ...role,
        }),
      ),
    );
  } catch (error) {
    throw toProviderError(error, "deleting the event stack", stackName);
  }
  return eventStackStatus(ctx);
}

/** Empties the build source bucket, which CloudFormation cannot delete while it holds objects. */
export async function emptySourceBucket(ctx: AwsContext, bucket: string): Promise<void> {
  for (;;) {
    const { Contents } = await ctx.limiter.run("image", () => ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket })));
    const keys = (Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    // DeleteObjects answers 200 even when it deletes nothing: each refused key comes back in
    // Errors. Listing again would find the same keys for ever, so a refusal ends it here.
    const { Errors } = await ctx.limiter.run("image", () => ctx.clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } })));
    if (Errors?.length) {
      const first = Errors[0];
      throw new ProviderError(
        first.Code === "AccessDenied" ? "credentials" : "unavailable",
        first.Code === "AccessDenied"
          ? `The portal's role cannot s3:DeleteObject on ${bucket}/${first.Key}: update portal-access.`
          : `S3 did not delete ${Errors.length} build source file(s) from ${bucket} (${first.Code}: ${first.Message}); the event stack cannot be deleted until the bucket is empty.`,
      );
    }
  }
}
