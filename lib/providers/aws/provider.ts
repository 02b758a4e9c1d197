import "server-only";
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { CreatePresignedNotebookInstanceUrlCommand } from "@aws-sdk/client-sagemaker";
import {
  ProviderError,
  type DeployOptions,
  type EnvironmentLinks,
  type EnvironmentRef,
  type EnvironmentSnapshot,
  type EventBatch,
  type Provider,
} from "../types";
import { createAwsClients, type AwsClients } from "./clients";
import type { AwsProviderConfig } from "./config";
import { errorName, toProviderError } from "./errors";
import { decodeCursor, encodeCursor, newLogLines, newStackEvents } from "./events";
import { createRateLimiter, type RateLimiter } from "./limiter";
import { listEventStacks, type EventStack } from "./reconcile";
import {
  createToken,
  currentOperation,
  environmentTagKey,
  failureReason,
  loadTemplate,
  outputsOf,
  resourcesDone,
  stackParameters,
  stackTags,
  toStackStatus,
  validateStackName,
  type StackTemplate,
} from "./stack";
import { ClusterTasks, environmentTasks, networkInterfaceId, type ServiceNames } from "./tasks";

export interface AwsProvider extends Provider {
  readonly name: "aws";
  /** The event's stacks as AWS sees them, to re-adopt or retire what the store lacks. */
  listEventStacks(): Promise<EventStack[]>;
}

interface Known {
  stackId?: string;
  /** Bumped by destroy, so a deploy after a teardown is a new CreateStack request. */
  generation: number;
  last?: EnvironmentSnapshot;
  /** CreateStack itself was refused (e.g. an invalid parameter); no stack exists. */
  refused?: string;
  dashboard?: { taskId: string; url?: string };
  /** The store believed this environment alive at start-up (adopt). */
  adopted?: boolean;
}

function unreachableMessage(error: ProviderError): string {
  return error.code === "throttled"
    ? "AWS is throttling the portal; showing the last known state."
    : "Cannot reach AWS right now; showing the last known state. It will refresh by itself.";
}

export function createAwsProvider(
  config: AwsProviderConfig,
  deps: { clients?: AwsClients; limiter?: RateLimiter } = {},
): AwsProvider {
  const clients = deps.clients ?? createAwsClients(config);
  const limiter = deps.limiter ?? createRateLimiter();
  const clusterTasks = new ClusterTasks(clients.ecs, limiter, config.taskCacheMs);
  const known = new Map<string, Known>();
  let template: Promise<StackTemplate> | undefined;

  const templateOnce = () => {
    template ??= loadTemplate(config).catch((error: unknown) => {
      template = undefined;
      throw error;
    });
    return template;
  };
  const entry = (env: EnvironmentRef): Known => {
    let k = known.get(env.id);
    if (!k) {
      k = { generation: 0 };
      known.set(env.id, k);
    }
    return k;
  };

  async function findStack(env: EnvironmentRef): Promise<Stack | undefined> {
    const k = entry(env);
    try {
      const { Stacks } = await limiter.run("cfn-read", () =>
        clients.cfn.send(new DescribeStacksCommand({ StackName: k.stackId ?? env.stackName })),
      );
      const stack = Stacks?.[0];
      if (stack?.StackId) k.stackId = stack.StackId;
      return stack;
    } catch (error) {
      if (errorName(error) === "ValidationError" && /does not exist/i.test(String((error as Error).message))) return undefined;
      throw error;
    }
  }

  function serviceNames(stack: Stack): ServiceNames | undefined {
    const o = outputsOf(stack);
    if (!o.ClusterName || !o.SchedulerServiceName || !o.WorkerServiceName) return undefined;
    return { cluster: o.ClusterName, scheduler: o.SchedulerServiceName, worker: o.WorkerServiceName, stackName: stack.StackName ?? "" };
  }

  async function operationEvents(stack: Stack): Promise<StackEvent[]> {
    const events: StackEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 3; page++) {
      const response = await limiter.run("cfn-read", () =>
        clients.cfn.send(new DescribeStackEventsCommand({ StackName: stack.StackId, NextToken: nextToken })),
      );
      events.push(...(response.StackEvents ?? []));
      nextToken = response.NextToken;
      const op = currentOperation(events, stack.StackName ?? "");
      if (!nextToken || op.length < events.length) break;
    }
    return currentOperation([...new Map(events.map((e) => [e.EventId, e])).values()], stack.StackName ?? "");
  }

  async function dashboardUrl(k: Known, schedulerTask: { id: string; eni?: string } | undefined) {
    if (!schedulerTask?.eni) return undefined;
    if (k.dashboard?.taskId === schedulerTask.id && k.dashboard.url) return k.dashboard.url;
    const eni = schedulerTask.eni;
    const { NetworkInterfaces } = await limiter.run("ec2-read", () =>
      clients.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] })),
    );
    const ip = NetworkInterfaces?.[0]?.Association?.PublicIp;
    const url = ip ? `http://${ip}:8787/status` : undefined;
    k.dashboard = { taskId: schedulerTask.id, url };
    return url;
  }

  async function snapshot(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    const k = entry(env);
    // CreateStack was refused, so AWS holds no stack to ask about.
    const stack = k.refused && !k.stackId ? undefined : await findStack(env);
    if (!stack) {
      if (k.refused) {
        return { stackName: env.stackName, status: "CREATE_FAILED", reason: k.refused, progress: { done: 0, total: 0 }, tasks: [], desiredWorkers: 0, links: {} };
      }
      if (k.stackId || k.last || k.adopted) {
        const total = k.last?.progress.total ?? 0;
        return { stackName: env.stackName, status: "DELETE_COMPLETE", progress: { done: total, total }, tasks: [], desiredWorkers: 0, links: {} };
      }
      throw new ProviderError("not_found", `No stack named ${env.stackName} exists.`);
    }

    const status = toStackStatus(stack.StackStatus);
    const { resourceCount } = await templateOnce();
    let done = resourceCount;
    let reason: string | undefined;
    if (status !== "CREATE_COMPLETE" && status !== "UPDATE_COMPLETE") {
      const operation = await operationEvents(stack);
      done = status === "DELETE_COMPLETE" ? resourceCount : Math.min(resourcesDone(operation, stack.StackName ?? ""), resourceCount);
      if (status.endsWith("FAILED") || status.startsWith("ROLLBACK") || status.startsWith("DELETE")) {
        reason = failureReason(operation, stack);
      }
    }

    const names = serviceNames(stack);
    const outputs = outputsOf(stack);
    const links: EnvironmentLinks = {};
    if (outputs.SchedulerDnsName) links.schedulerAddress = `tcp://${outputs.SchedulerDnsName}:8786`;
    if (outputs.NotebookConsoleUrl) links.notebook = outputs.NotebookConsoleUrl;

    let tasks: EnvironmentSnapshot["tasks"] = [];
    let desiredWorkers = 0;
    if (names && !status.startsWith("DELETE")) {
      const [all, services] = await Promise.all([
        clusterTasks.tasks(names.cluster),
        limiter.run("ecs-read", () =>
          clients.ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: [names.worker] })),
        ),
      ]);
      desiredWorkers = services.services?.[0]?.desiredCount ?? 0;
      const mine = environmentTasks(all, names);
      tasks = mine.map((m) => m.state);
      const scheduler = mine.find((m) => m.state.role === "scheduler" && m.state.lastStatus === "RUNNING");
      links.dashboard = await dashboardUrl(
        k,
        scheduler ? { id: scheduler.state.id, eni: networkInterfaceId(scheduler.task) } : undefined,
      );
    }

    return {
      stackName: stack.StackName ?? env.stackName,
      status,
      ...(reason ? { reason } : {}),
      progress: { done, total: resourceCount },
      tasks,
      desiredWorkers,
      links,
    };
  }

  async function requireNames(env: EnvironmentRef, doing: string): Promise<ServiceNames> {
    const stack = await findStack(env);
    const names = stack && serviceNames(stack);
    if (!names) throw new ProviderError("bad_request", `The environment is not ready yet, so the portal cannot ${doing}.`);
    return names;
  }

  async function describe(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    validateStackName(env.stackName);
    const k = entry(env);
    try {
      const snap = await snapshot(env);
      k.last = snap;
      return snap;
    } catch (error) {
      const problem = toProviderError(error, "reading the environment");
      if ((problem.code === "unavailable" || problem.code === "throttled") && k.last) {
        return { ...k.last, degraded: unreachableMessage(problem) };
      }
      throw problem;
    }
  }

  return {
    name: "aws",
    maxWorkers: config.maxWorkers,
    defaultWorkers: config.defaultWorkers,

    async deploy(env: EnvironmentRef, options: DeployOptions) {
      validateStackName(env.stackName);
      if (options.workers > config.maxWorkers) {
        throw new ProviderError("bad_request", `At most ${config.maxWorkers} workers are allowed.`);
      }
      const k = entry(env);
      k.refused = undefined;
      try {
        const { body } = await templateOnce();
        const response = await limiter.run("cfn-write", () =>
          clients.cfn.send(
            new CreateStackCommand({
              StackName: env.stackName,
              TemplateBody: body,
              Parameters: stackParameters(config, env, options.workers),
              Tags: stackTags(config, env),
              Capabilities: ["CAPABILITY_IAM"],
              ClientRequestToken: createToken(env, k.generation),
              ...(config.cloudFormationRoleArn ? { RoleARN: config.cloudFormationRoleArn } : {}),
            }),
          ),
        );
        k.stackId = response.StackId;
      } catch (error) {
        if (errorName(error) === "AlreadyExistsException") {
          const stack = await findStack(env).catch(() => undefined);
          const owner = stack?.Tags?.find((t) => t.Key === environmentTagKey)?.Value;
          if (stack && owner === env.id) return;
          throw new ProviderError("bad_request", `A stack named ${env.stackName} already exists and belongs to another environment.`);
        }
        const problem = toProviderError(error, "creating the stack");
        if (problem.code === "bad_request") k.refused = problem.message;
        throw problem;
      }
    },

    describe,

    async events(env, cursor) {
      validateStackName(env.stackName);
      try {
        const stack = await findStack(env);
        if (!stack?.StackId) return { events: [], cursor };
        const position = decodeCursor(cursor);
        const stackPart = await newStackEvents(clients.cfn, limiter, stack.StackId, position);
        const outputs = outputsOf(stack);
        const logPart =
          outputs.LogGroup && outputs.LogStreamPrefix
            ? await newLogLines(clients.logs, limiter, { logGroup: outputs.LogGroup, streamPrefix: outputs.LogStreamPrefix }, position)
            : { events: [], cursor: { logsAt: position.logsAt, logKeysAt: position.logKeysAt } };
        const events = [...stackPart.events, ...logPart.events].sort((a, b) => a.at.localeCompare(b.at));
        return { events, cursor: encodeCursor({ ...stackPart.cursor, ...logPart.cursor }) } satisfies EventBatch;
      } catch (error) {
        throw toProviderError(error, "reading stack events and logs");
      }
    },

    async scale(env, workers) {
      validateStackName(env.stackName);
      if (!Number.isInteger(workers) || workers < 0 || workers > config.maxWorkers) {
        throw new ProviderError("bad_request", `Workers must be a whole number from 0 to ${config.maxWorkers}.`);
      }
      try {
        const names = await requireNames(env, "scale the workers");
        await limiter.run("ecs-write", () =>
          clients.ecs.send(new UpdateServiceCommand({ cluster: names.cluster, service: names.worker, desiredCount: workers })),
        );
        clusterTasks.invalidate(names.cluster);
      } catch (error) {
        throw toProviderError(error, "scaling the workers");
      }
    },

    async destroy(env) {
      validateStackName(env.stackName);
      const k = entry(env);
      k.refused = undefined;
      try {
        const stack = await findStack(env);
        if (!stack) return;
        await limiter.run("cfn-write", () =>
          clients.cfn.send(
            new DeleteStackCommand({
              StackName: stack.StackId,
              ...(config.cloudFormationRoleArn ? { RoleARN: config.cloudFormationRoleArn } : {}),
            }),
          ),
        );
        k.generation += 1;
      } catch (error) {
        throw toProviderError(error, "deleting the stack");
      }
    },

    async links(env) {
      validateStackName(env.stackName);
      const snap = await describe(env);
      const links = { ...snap.links };
      const stack = await findStack(env).catch(() => undefined);
      const notebookName = stack ? outputsOf(stack).NotebookInstanceName : undefined;
      if (notebookName) {
        try {
          const { AuthorizedUrl } = await limiter.run("sagemaker", () =>
            clients.sagemaker.send(
              new CreatePresignedNotebookInstanceUrlCommand({ NotebookInstanceName: notebookName, SessionExpirationDurationInSeconds: 1800 }),
            ),
          );
          if (AuthorizedUrl) links.notebook = AuthorizedUrl;
        } catch {
          // Not every endpoint offers presigned URLs (moto does not); the console link still works.
        }
      }
      return links;
    },

    async adopt(envs) {
      for (const env of envs) {
        validateStackName(env.stackName);
        entry(env).adopted = true;
      }
    },

    async health() {
      try {
        await limiter.run("cfn-read", () =>
          clients.cfn.send(new DescribeStacksCommand(config.eventStack ? { StackName: config.eventStack } : {})),
        );
        return { ok: true, message: `AWS answers in ${config.region} (${config.mode} mode).` };
      } catch (error) {
        return { ok: false, message: toProviderError(error, "checking AWS").message };
      }
    },

    listEventStacks() {
      return listEventStacks(clients.cfn, limiter, config.eventId).catch((error: unknown) => {
        throw toProviderError(error, "listing the event's stacks");
      });
    },
  };
}
