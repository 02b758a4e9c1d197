// The "Fargate player": moto is a control-plane emulator, so nothing starts the tasks
// an ECS service asks for and nothing writes their logs. These functions play that
// part against moto, the way Fargate and the awslogs driver would on AWS:
//   - tasks are started with RunTask into the service's cluster, task definition and
//     network, with group "service:<service name>" as ECS gives service tasks;
//   - tasks stay where they are put (manual state transitions), and are stopped with
//     a reason through StopTask, which also releases their network interface;
//   - log lines go to "<prefix>/<container>/<task id>" streams, as awslogs names them;
//   - with `pullFromEcr`, a task whose image is an ECR image moto's ECR does not hold is
//     started, and stopped PULL_MS later with the pull error ECS gives
//     (CannotPullContainerError); its service tries again no more than every PULL_RETRY_MS,
//     as ECS backs off. (Moto starts tasks RUNNING; ECS shows them PENDING while it retries
//     the pull.)
import { CloudFormationClient, CreateStackCommand, DescribeStackResourcesCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DeleteNetworkInterfaceCommand,
  DescribeAddressesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from "@aws-sdk/client-ec2";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { readFileSync } from "node:fs";
import path from "node:path";
import { motoCredentials, motoRegion, motoTemplateTransform, repoRoot } from "./server.mjs";

export const playerStartedBy = "fargate-player";

/** @param {string} endpoint */
export function motoClients(endpoint) {
  const config = { endpoint, region: motoRegion, credentials: motoCredentials };
  return {
    cfn: new CloudFormationClient(config),
    ecs: new ECSClient(config),
    ec2: new EC2Client(config),
    logs: new CloudWatchLogsClient(config),
    ecr: new ECRClient(config),
  };
}

/** How long a task tries to pull a missing image before ECS stops it. */
const PULL_MS = 5_000;
/** How often a service whose image could not be pulled gets another task (ECS backs off too). */
const PULL_RETRY_MS = 10_000;
/** When each service last failed to pull its image. */
const failedPulls = new Map();
/** The task each service is pulling a missing image for, and since when. */
const pulling = new Map();

/**
 * The reason ECS stops a task with when its image cannot be pulled because ECR does not hold
 * it, or null when it can be (an image of another registry is taken as present).
 * @param {ReturnType<typeof motoClients>} clients
 * @param {string} image
 */
async function missingImageReason(clients, image) {
  const ecr = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/([^:@]+)(?::([^@]+))?$/.exec(image);
  if (!ecr) return null;
  const [, repositoryName, tag = "latest"] = ecr;
  try {
    const { imageDetails } = await clients.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
    if (imageDetails?.length) return null;
  } catch (error) {
    if (!(error instanceof Error && /NotFound/.test(error.name))) throw error;
  }
  // ECS's own words for a tag the registry does not have (github.com/microservices-demo/front-end/issues/65).
  return `CannotPullContainerError: Error: image ${repositoryName}:${tag} not found`;
}

/**
 * Tasks keep the status RunTask gave them; without this every DescribeTasks moves a task
 * one step towards STOPPED.
 * @param {string} endpoint
 */
export async function holdTaskStates(endpoint) {
  const response = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model_name: "ecs::task", transition: { progression: "manual", times: 1000000 } }),
  });
  if (!response.ok) throw new Error(`set-transition failed: ${response.status}`);
}

/**
 * @param {ReturnType<typeof motoClients>} clients
 * @param {string} stackName
 * @param {number} [timeoutMs]
 * @returns {Promise<Record<string, string>>}
 */
export async function stackOutputs(clients, stackName, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (stack?.StackStatus === "CREATE_COMPLETE" || stack?.StackStatus === "UPDATE_COMPLETE") {
      return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""]));
    }
    if (Date.now() > deadline) throw new Error(`${stackName} is ${stack?.StackStatus}, not complete`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Deploys cloudformation/event.yaml (made moto-ready) unless the stack exists.
 * @param {string} endpoint
 * @param {{ stackName: string, eventId: string }} options
 */
export async function deployEventStack(endpoint, { stackName, eventId }) {
  const clients = motoClients(endpoint);
  const body = readFileSync(path.join(repoRoot, "cloudformation/event.yaml"), "utf8");
  try {
    await clients.cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: motoTemplateTransform(body),
        Parameters: [{ ParameterKey: "EventId", ParameterValue: eventId }],
        Tags: [
          { Key: "workshop:event", Value: eventId },
          { Key: "workshop:attendee", Value: "facilitator" },
        ],
        // The image build's role: CloudFormation refuses the template without it (the harness enforces it).
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === "AlreadyExistsException")) throw error;
  }
  return stackOutputs(clients, stackName);
}

/**
 * Where the services of an environment stack run, read from its outputs and services.
 * @param {ReturnType<typeof motoClients>} clients
 * @param {string} stackName
 */
async function environmentOf(clients, stackName) {
  const outputs = await stackOutputs(clients, stackName);
  const cluster = outputs.ClusterName;
  const { services } = await clients.ecs.send(
    new DescribeServicesCommand({ cluster, services: [outputs.SchedulerServiceName, outputs.WorkerServiceName] }),
  );
  const byName = new Map((services ?? []).map((s) => [s.serviceName, s]));
  const scheduler = byName.get(outputs.SchedulerServiceName);
  const worker = byName.get(outputs.WorkerServiceName);
  if (!scheduler || !worker) throw new Error(`${stackName}: services not found`);
  return { outputs, cluster, services: { scheduler, worker } };
}

/**
 * RunTask's awsvpc path in moto needs the VPC's DNS hostnames attribute set through EC2.
 * @param {ReturnType<typeof motoClients>} clients
 * @param {string} subnetId
 */
async function enableDnsHostnames(clients, subnetId) {
  const { Subnets } = await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  const vpcId = Subnets?.[0]?.VpcId;
  if (vpcId) {
    await clients.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  }
}

/**
 * Where ECS would place a task of the role: workers on the stack's WorkerCapacity provider
 * (FARGATE_SPOT by default), the scheduler On-Demand. Moto's services keep no
 * CapacityProviderStrategy from a template, so the stack's parameter says it.
 * @param {ReturnType<typeof motoClients>} clients
 * @param {string} stackName
 * @param {"scheduler" | "worker"} role
 */
async function placement(clients, stackName, role) {
  if (role !== "worker") return { launchType: "FARGATE" };
  const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const capacity = Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === "WorkerCapacity")?.ParameterValue;
  return capacity ? { capacityProviderStrategy: [{ capacityProvider: capacity, weight: 1 }] } : { launchType: "FARGATE" };
}

/**
 * Starts one task of a service the way ECS would, and returns its id.
 * @param {string} endpoint
 * @param {{ stackName: string, role: "scheduler" | "worker" }} options
 * @returns {Promise<string>}
 */
export async function runTask(endpoint, { stackName, role }) {
  const clients = motoClients(endpoint);
  const env = await environmentOf(clients, stackName);
  const service = env.services[role];
  const network = service.networkConfiguration;
  const subnet = network?.awsvpcConfiguration?.subnets?.[0];
  if (subnet) await enableDnsHostnames(clients, subnet);
  const { tasks, failures } = await clients.ecs.send(
    new RunTaskCommand({
      cluster: env.cluster,
      taskDefinition: service.taskDefinition,
      ...(await placement(clients, stackName, role)),
      networkConfiguration: network,
      group: `service:${service.serviceName}`,
      startedBy: playerStartedBy,
      count: 1,
    }),
  );
  const arn = tasks?.[0]?.taskArn;
  if (!arn) throw new Error(`RunTask failed: ${JSON.stringify(failures)}`);
  return arn.split("/").pop() ?? arn;
}

/**
 * Stops a task with a reason and releases its network interface, as Fargate does (moto
 * keeps the interface, and a VPC with interfaces left in it cannot be deleted).
 * @param {string} endpoint
 * @param {{ stackName: string, taskId: string, reason: string }} options
 */
export async function stopTask(endpoint, { stackName, taskId, reason }) {
  const clients = motoClients(endpoint);
  const { ClusterName } = await stackOutputs(clients, stackName);
  const { task } = await clients.ecs.send(new StopTaskCommand({ cluster: ClusterName, task: taskId, reason }));
  for (const attachment of task?.attachments ?? []) {
    const eni = attachment.details?.find((d) => d.name === "networkInterfaceId")?.value;
    if (!eni) continue;
    // A public address Fargate gave the task goes with it (see givePublicAddress).
    const { Addresses } = await clients.ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: "network-interface-id", Values: [eni] }] }));
    for (const address of Addresses ?? []) {
      if (address.AssociationId) await clients.ec2.send(new DisassociateAddressCommand({ AssociationId: address.AssociationId }));
      if (address.AllocationId) await clients.ec2.send(new ReleaseAddressCommand({ AllocationId: address.AllocationId }));
    }
    await clients.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
  }
}

/**
 * Replaces the environment's scheduler task with one that has a network interface, as Fargate
 * gives every awsvpc task. Moto's CloudFormation drops a task definition's NetworkMode, so its
 * tasks get no interface; this runs an awsvpc revision of the same definition (in the
 * scheduler's security group and a subnet of its VPC) in place of the scheduler task.
 * @param {string} endpoint
 * @param {string} stackName
 * @param {"ENABLED" | "DISABLED"} assignPublicIp
 */
async function runAwsvpcScheduler(endpoint, stackName, assignPublicIp) {
  const clients = motoClients(endpoint);
  const env = await environmentOf(clients, stackName);
  const groupId = env.outputs.SchedulerSecurityGroupId;
  if (!groupId) throw new Error(`${stackName} has no SchedulerSecurityGroupId output`);
  const { SecurityGroups } = await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  const { Subnets } = await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [SecurityGroups?.[0]?.VpcId ?? ""] }] }));
  const subnet = Subnets?.[0]?.SubnetId;
  if (!subnet) throw new Error(`${stackName}: no subnet in the scheduler's VPC`);
  await enableDnsHostnames(clients, subnet);

  const service = env.services.scheduler;
  const { taskDefinition: current } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
  const { taskDefinition: awsvpc } = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: current?.family,
      containerDefinitions: current?.containerDefinitions,
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: current?.cpu,
      memory: current?.memory,
    }),
  );
  await drainRole(clients, endpoint, env, stackName, "scheduler");
  const { tasks, failures } = await clients.ecs.send(
    new RunTaskCommand({
      cluster: env.cluster,
      taskDefinition: awsvpc?.taskDefinitionArn,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: [groupId], assignPublicIp } },
      group: `service:${service.serviceName}`,
      startedBy: playerStartedBy,
      count: 1,
    }),
  );
  const task = tasks?.[0];
  const eni = task?.attachments?.flatMap((a) => a.details ?? []).find((d) => d.name === "networkInterfaceId")?.value;
  if (!task?.taskArn || !eni) throw new Error(`RunTask with awsvpc failed: ${JSON.stringify(failures)}`);
  return { clients, taskId: task.taskArn.split("/").pop() ?? "", eni };
}

/**
 * Gives the environment's scheduler a public IPv4 address, as Fargate does for a service
 * with AssignPublicIp ENABLED: a scheduler task with a network interface (runAwsvpcScheduler)
 * and an Elastic IP associated with it. stopTask releases it again.
 * @param {string} endpoint
 * @param {string} stackName
 * @returns {Promise<{ taskId: string, publicIp: string }>}
 */
export async function givePublicAddress(endpoint, stackName) {
  const { clients, taskId, eni } = await runAwsvpcScheduler(endpoint, stackName, "ENABLED");
  const { AllocationId, PublicIp } = await clients.ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
  await clients.ec2.send(new AssociateAddressCommand({ AllocationId, NetworkInterfaceId: eni }));
  return { taskId, publicIp: /** @type {string} */ (PublicIp) };
}

/**
 * Gives the environment's scheduler a private address only, as Fargate does for a service
 * with AssignPublicIp DISABLED (DashboardAccess vpc). Moto picks the address at random in
 * 10.0.0.0/8; startPrivateAddressShim (private-address-shim.mjs) moves it where the test listens.
 * @param {string} endpoint
 * @param {string} stackName
 * @returns {Promise<{ taskId: string }>}
 */
export async function givePrivateAddress(endpoint, stackName) {
  const { taskId } = await runAwsvpcScheduler(endpoint, stackName, "DISABLED");
  return { taskId };
}

/**
 * Stops the running player tasks of one of the environment's services.
 * @param {ReturnType<typeof motoClients>} clients
 * @param {string} endpoint
 * @param {Awaited<ReturnType<typeof environmentOf>>} env
 * @param {string} stackName
 * @param {"scheduler" | "worker"} role
 */
async function drainRole(clients, endpoint, env, stackName, role) {
  const { taskArns } = await clients.ecs.send(new ListTasksCommand({ cluster: env.cluster, startedBy: playerStartedBy, desiredStatus: "RUNNING" }));
  if (!taskArns?.length) return;
  const { tasks } = await clients.ecs.send(new DescribeTasksCommand({ cluster: env.cluster, tasks: taskArns }));
  for (const task of tasks ?? []) {
    if (task.group === `service:${env.services[role].serviceName}` && task.lastStatus !== "STOPPED") {
      await stopTask(endpoint, { stackName, taskId: task.taskArn?.split("/").pop() ?? "", reason: "Replaced by the harness" });
    }
  }
}


/**
 * Stops every running task of an environment, as ECS does while CloudFormation deletes
 * its services; call it before deleting a stack on moto.
 * @param {string} endpoint
 * @param {string} stackName
 */
export async function drainTasks(endpoint, stackName) {
  const clients = motoClients(endpoint);
  const env = await environmentOf(clients, stackName);
  const { taskArns } = await clients.ecs.send(
    new ListTasksCommand({ cluster: env.cluster, startedBy: playerStartedBy, desiredStatus: "RUNNING" }),
  );
  if (!taskArns?.length) return;
  const { tasks } = await clients.ecs.send(new DescribeTasksCommand({ cluster: env.cluster, tasks: taskArns }));
  const groups = [`service:${env.services.scheduler.serviceName}`, `service:${env.services.worker.serviceName}`];
  for (const task of tasks ?? []) {
    if (groups.includes(task.group ?? "") && task.lastStatus !== "STOPPED") {
      const taskId = task.taskArn?.split("/").pop() ?? "";
      await stopTask(endpoint, { stackName, taskId, reason: "Service deleted by CloudFormation" });
    }
  }
}

/**
 * Writes lines to the task's stream as the awslogs driver would.
 * @param {string} endpoint
 * @param {{ stackName: string, role: "scheduler" | "worker", taskId: string, lines: { at?: number, text: string }[] }} options
 */
export async function putLogLines(endpoint, { stackName, role, taskId, lines }) {
  const clients = motoClients(endpoint);
  const { LogGroup, LogStreamPrefix } = await stackOutputs(clients, stackName);
  const logStreamName = `${LogStreamPrefix}/${role}/${taskId}`;
  try {
    await clients.logs.send(new CreateLogStreamCommand({ logGroupName: LogGroup, logStreamName }));
  } catch (error) {
    if (!(error instanceof Error && error.name === "ResourceAlreadyExistsException")) throw error;
  }
  const now = Date.now();
  await clients.logs.send(
    new PutLogEventsCommand({
      logGroupName: LogGroup,
      logStreamName,
      // The awslogs driver sends each batch in time order; CloudWatch Logs insists on it.
      logEvents: lines
        .map((line, i) => ({ timestamp: line.at ?? now + i, message: line.text }))
        .sort((a, b) => a.timestamp - b.timestamp),
    }),
  );
}

/**
 * One round of Fargate for an environment stack: the scheduler service gets its one task,
 * the worker service as many tasks as its desired count (extra ones are stopped, as a
 * scale-in would), and each new task logs a start-up line like Dask's.
 * @param {string} endpoint
 * @param {string} stackName
 * @param {{ pullFromEcr?: boolean }} [options]
 * @returns {Promise<{ scheduler: string[], worker: string[] }>} running task ids per role
 */
export async function playFargate(endpoint, stackName, options = {}) {
  const clients = motoClients(endpoint);
  const env = await environmentOf(clients, stackName);
  /** @type {{ scheduler: string[], worker: string[] }} */
  const running = { scheduler: [], worker: [] };
  for (const role of /** @type {const} */ (["scheduler", "worker"])) {
    const service = env.services[role];
    const { taskArns } = await clients.ecs.send(
      new ListTasksCommand({ cluster: env.cluster, startedBy: playerStartedBy, desiredStatus: "RUNNING" }),
    );
    const mine = [];
    if (taskArns?.length) {
      const { tasks } = await clients.ecs.send(new DescribeTasksCommand({ cluster: env.cluster, tasks: taskArns }));
      for (const task of tasks ?? []) {
        if (task.group === `service:${service.serviceName}` && task.lastStatus !== "STOPPED") {
          mine.push(task.taskArn?.split("/").pop() ?? "");
        }
      }
    }
    const desired = service.desiredCount ?? 0;
    const key = `${stackName}/${role}`;
    const attempt = pulling.get(key);
    if (options.pullFromEcr && (attempt || mine.length < desired)) {
      const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
      const reason = await missingImageReason(clients, taskDefinition?.containerDefinitions?.[0]?.image ?? "");
      if (reason) {
        if (attempt && Date.now() - attempt.since >= PULL_MS) {
          await stopTask(endpoint, { stackName, taskId: attempt.taskId, reason });
          pulling.delete(key);
          failedPulls.set(key, Date.now());
        } else if (!attempt && Date.now() - (failedPulls.get(key) ?? 0) >= PULL_RETRY_MS) {
          pulling.set(key, { taskId: await runTask(endpoint, { stackName, role }), since: Date.now() });
        }
        continue;
      }
    }
    while (mine.length > desired) {
      const taskId = /** @type {string} */ (mine.pop());
      await stopTask(endpoint, { stackName, taskId, reason: "Scaling activity initiated by (deployment ecs-svc)" });
    }
    while (mine.length < desired) {
      const taskId = await runTask(endpoint, { stackName, role });
      const text =
        role === "scheduler"
          ? "distributed.scheduler - INFO -   Scheduler at:   tcp://10.20.0.10:8786"
          : `distributed.worker - INFO -       Start worker at:  tcp://10.20.32.${mine.length + 10}:9000`;
      await putLogLines(endpoint, { stackName, role, taskId, lines: [{ text }] });
      mine.push(taskId);
    }
    running[role] = mine;
  }
  return running;
}

/**
 * Gets a stack ready for DeleteStack on moto: drains its tasks (as ECS would) and, when
 * the stack owns route tables (solo and event stacks), removes them first, because
 * moto 5.2.5's CloudFormation never deletes an AWS::EC2::RouteTable and the VPC then
 * refuses to go. On AWS none of this is needed.
 * @param {string} endpoint
 * @param {string} stackName
 */
export async function prepareStackDeletion(endpoint, stackName) {
  const clients = motoClients(endpoint);
  const outputs = await stackOutputs(clients, stackName);
  if (outputs.SchedulerServiceName) await drainTasks(endpoint, stackName);
  const { StackResources } = await clients.cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const tableIds = (StackResources ?? [])
    .filter((r) => r.ResourceType === "AWS::EC2::RouteTable" && r.PhysicalResourceId)
    .map((r) => /** @type {string} */ (r.PhysicalResourceId));
  if (tableIds.length === 0) return;
  const { RouteTables } = await clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: tableIds }));
  for (const table of RouteTables ?? []) {
    for (const association of table.Associations ?? []) {
      if (!association.Main && association.RouteTableAssociationId) {
        await clients.ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.RouteTableAssociationId }));
      }
    }
    await clients.ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId }));
  }
}
