import "server-only";
import { CreateStackCommand, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import { UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { CreatePresignedNotebookInstanceUrlCommand } from "@aws-sdk/client-sagemaker";
import { ProviderError, type DeployOptions, type DestroyOutcome, type EnvironmentRef } from "@/lib/providers/contract";
import type { AwsContext } from "./context";
import { revokeDashboardAddresses } from "./dashboard-access";
import { errorName, toProviderError } from "./errors";
import { serviceNames } from "./snapshot";
import { attendeeTemplateFile, createToken, environmentTagKey, outputsOf, stackParameters, stackTags, tagValue, templateCapabilities, validateStackName } from "./stack";
import type { ServiceNames } from "./tasks";

// What the portal does to an attendee's stack: create it, scale its workers, delete it,
// and open its notebook. Each is someone's action, so its calls go before the room's
// background polling in the call budget.

function checkWorkers(ctx: AwsContext, workers: number): void {
  const { maxWorkers } = ctx.config;
  if (!Number.isInteger(workers) || workers < 0 || workers > maxWorkers) {
    throw new ProviderError("bad_request", `Workers must be a whole number from 0 to ${maxWorkers}.`);
  }
}

/** Starts CreateStack; a repeated click (same environment and generation) never makes a second stack. */
export async function deployStack(ctx: AwsContext, env: EnvironmentRef, options: DeployOptions, daskImage: string): Promise<void> {
  validateStackName(env.stackName);
  const { config } = ctx;
  checkWorkers(ctx, options.workers);
  const k = ctx.entry(env);
  k.refused = undefined;
  k.actedAt = Date.now();
  try {
    // Solo: each attendee's own account, whose notebook logs group no event stack prepared.
    if (config.mode === "solo") await ctx.notebookLogGroupReady();
    const { body } = await ctx.templateOnce();
    const role = await ctx.roleArgument();
    const boundary = await ctx.boundaryParameter();
    const response = await ctx.limiter.run("cfn-write", () =>
      ctx.clients.cfn.send(
        new CreateStackCommand({
          StackName: env.stackName,
          TemplateBody: body,
          Parameters: [...stackParameters(config, env, options.workers, daskImage), ...boundary],
          Tags: stackTags(config, env),
          Capabilities: templateCapabilities[attendeeTemplateFile(config)],
          ClientRequestToken: createToken(env, k.generation),
          ...role,
        }),
      ),
    );
    k.stackId = response.StackId;
  } catch (error) {
    if (errorName(error) === "AlreadyExistsException") {
      const stack = await ctx.findStack(env).catch(() => undefined);
      if (stack && tagValue(stack, environmentTagKey) === env.id) return;
      throw new ProviderError("bad_request", `A stack named ${env.stackName} already exists and belongs to another environment.`);
    }
    const problem = toProviderError(error, "creating the stack", env.stackName);
    if (problem.code === "bad_request") k.refused = problem.message;
    throw problem;
  }
}

async function requireNames(ctx: AwsContext, env: EnvironmentRef, doing: string): Promise<ServiceNames> {
  const stack = await ctx.findStack(env);
  const names = stack && serviceNames(stack);
  if (!names) throw new ProviderError("bad_request", `The environment is not ready yet, so the portal cannot ${doing}.`);
  return names;
}

/** Sets the worker service's desired count; the next reads of it and of the cluster's tasks ask ECS. */
export async function scaleWorkers(ctx: AwsContext, env: EnvironmentRef, workers: number): Promise<void> {
  validateStackName(env.stackName);
  checkWorkers(ctx, workers);
  try {
    const names = await requireNames(ctx, env, "scale the workers");
    await ctx.limiter.run("ecs-write", () =>
      ctx.clients.ecs.send(new UpdateServiceCommand({ cluster: names.cluster, service: names.worker, desiredCount: workers })),
    );
    ctx.entry(env).actedAt = Date.now();
    ctx.serviceCounts.invalidate(names.cluster, names.worker);
    ctx.clusterTasks.invalidate(names.cluster);
  } catch (error) {
    throw toProviderError(error, "scaling the workers", env.stackName);
  }
}

/**
 * Removes the dashboard addresses the portal added, then starts DeleteStack; deleting again
 * (e.g. after DELETE_FAILED) retries. Returns how many addresses were removed, for the audit log.
 */
export async function deleteStack(ctx: AwsContext, env: EnvironmentRef): Promise<DestroyOutcome> {
  validateStackName(env.stackName);
  const k = ctx.entry(env);
  k.refused = undefined;
  try {
    const stack = await ctx.findStack(env);
    if (!stack) return { revokedAddresses: 0 };
    const role = await ctx.roleArgument();
    const revokedAddresses = await revokeDashboardAddresses(ctx, env);
    await ctx.limiter.run("cfn-write", () =>
      ctx.clients.cfn.send(
        new DeleteStackCommand({
          StackName: stack.StackId,
          ...role,
        }),
      ),
    );
    k.generation += 1;
    k.actedAt = Date.now();
    return { revokedAddresses };
  } catch (error) {
    throw toProviderError(error, "deleting the stack", env.stackName);
  }
}

/** The session lengths CreatePresignedNotebookInstanceUrl accepts (SessionExpirationDurationInSeconds; docs/aws.md). */
export const notebookSession = { minSeconds: 1800, maxSeconds: 43_200 };

/**
 * How long a JupyterLab session opened now should last: until the event ends, so nobody is
 * signed out mid-lab, within what SageMaker accepts; the longest when the event has no end.
 */
export function notebookSessionSeconds(sessionEndsAt: Date | undefined, now = Date.now()): number {
  if (!sessionEndsAt) return notebookSession.maxSeconds;
  const left = Math.ceil((sessionEndsAt.getTime() - now) / 1000);
  return Math.min(notebookSession.maxSeconds, Math.max(notebookSession.minSeconds, left));
}

/**
 * A JupyterLab address for the notebook's owner, made now. In event mode a presigned URL,
 * which AWS accepts only within minutes of its making and which needs no console sign-in;
 * in solo mode the SageMaker console's link, since the account is the attendee's own.
 * Never stored, streamed or logged: the caller redirects to it and forgets it.
 */
export async function notebookAddress(ctx: AwsContext, env: EnvironmentRef, sessionEndsAt?: Date): Promise<string> {
  validateStackName(env.stackName);
  let outputs: Record<string, string>;
  try {
    const stack = await ctx.findStack(env);
    outputs = stack ? outputsOf(stack) : {};
  } catch (error) {
    throw toProviderError(error, "finding the notebook");
  }
  if (ctx.config.mode === "solo") {
    if (!outputs.NotebookConsoleUrl) throw new ProviderError("not_found", "This environment has no notebook yet; wait until it is ready.");
    return outputs.NotebookConsoleUrl;
  }
  const name = outputs.NotebookInstanceName;
  if (!name) throw new ProviderError("not_found", "This environment has no notebook yet; wait until it is ready.");
  let url: string | undefined;
  try {
    ({ AuthorizedUrl: url } = await ctx.limiter.run("sagemaker", () =>
      ctx.clients.sagemaker.send(
        new CreatePresignedNotebookInstanceUrlCommand({
          NotebookInstanceName: name,
          SessionExpirationDurationInSeconds: notebookSessionSeconds(sessionEndsAt),
        }),
      ),
    ));
  } catch (error) {
    const code = errorName(error);
    if (code === "AccessDeniedException" || code === "AccessDenied") {
      throw new ProviderError("credentials", `the portal's role cannot sagemaker:CreatePresignedNotebookInstanceUrl on ${name}: update portal-access`);
    }
    const problem = toProviderError(error, "opening the notebook");
    // Any other refusal (an unknown or stopped notebook) in words, not as the SDK raised it.
    const refused = problem.code === "bad_request" || problem.code === "not_found";
    throw new ProviderError(
      problem.code,
      refused ? `SageMaker did not open notebook ${name}; it may still be starting or stopped. Try again in a minute, or ask the facilitator.` : problem.message,
    );
  }
  if (!url) throw new ProviderError("unavailable", `SageMaker returned no address for notebook ${name}; try again.`);
  return url;
}
