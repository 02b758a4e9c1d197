import { createHash } from "node:crypto";
import type { Json } from "./template";

// The one table of what each resource type's handler names in its calls: the resource's own
// ARN and the other resources (roles, subnets, groups…) it passes, in the ARN formats of the
// Service Authorization Reference (SAR), and the context keys the deploy role's conditions
// read. `source` is the SAR page of the service whose resource types and ARN formats are used.
// The IAM evaluator picks, for each action, the entries whose SAR resource type the action
// accepts (its own data, from the same reference), so a type listed here but not accepted by
// an action is not part of that action's request.

export interface Place {
  partition: string;
  region: string;
  accountId: string;
  stackName: string;
}

/** A resource as the oracle knows it once its properties are resolved. */
export interface Subject {
  logicalId: string;
  type: string;
  props: Record<string, Json>;
  place: Place;
  /** The resource of the same stack whose Ref is this value (an instance's profile, a profile's role). */
  peer?: (ref: string) => Subject | undefined;
}

/** An ARN a call names, with the SAR resource type it is. */
export interface Named {
  sarType: string;
  arn: string;
}

export interface TypeEntry {
  /** SAR resource type and ARN of the resource itself; none for CloudFormation-only types (a route, an attachment). */
  self?: (s: Subject) => Named;
  /** What `Ref` returns. */
  ref: (s: Subject) => string;
  /** What `Fn::GetAtt` returns, by attribute. */
  attrs?: Record<string, (s: Subject) => string>;
  /** Other resources the handler's calls name (roles it passes, the subnet and groups of an interface…). */
  related?: (s: Subject) => Named[];
  /** Resources only the given actions name (the snapshot a volume's deletion makes). */
  namedBy?: Record<string, (s: Subject) => Named[]>;
  /** The API that creates it: the value of ec2:CreateAction / ecs:CreateAction when it is tagged at creation. */
  createAction?: string;
  /** iam:PassedToService of the roles it passes. */
  passedTo?: string;
  /**
   * Actions the handler calls once per item of a property, each call with its own condition
   * keys (a role's AttachRolePolicy once per managed policy, with iam:PolicyARN).
   */
  perCall?: Record<string, (s: Subject) => Record<string, string>[]>;
  source: string;
}

const sar = (page: string) => `https://docs.aws.amazon.com/service-authorization/latest/reference/${page}`;
const EC2 = sar("list_amazonec2.html");
const ECS = sar("list_amazonelasticcontainerservice.html");
const IAM = sar("list_awsidentityandaccessmanagementiam.html");
const LOGS = sar("list_amazoncloudwatchlogs.html");
const ECR = sar("list_amazonelasticcontainerregistry.html");
const S3 = sar("list_amazons3.html");
const CODEBUILD = sar("list_awscodebuild.html");
const SAGEMAKER = sar("list_amazonsagemakerai.html");
const CLOUDMAP = sar("list_awscloudmap.html");
const BUDGETS = sar("list_awsbudgetservice.html");
const CLOUDFORMATION = sar("list_awscloudformation.html");

/**
 * Every part of an ARN the oracle made up for something AWS generates (an id, a name's
 * random suffix, a stack's UUID): a policy written from the oracle's ARNs turns exactly these
 * into wildcards (generalise below).
 */
const standIns = new Map<string, "id" | "name">();

/**
 * A stable stand-in for a value AWS generates, remembered as generated: an id (vpc-…, i-…:
 * nothing in it names the stack) or a name's random suffix (the name starts with the stack's).
 */
export function standIn(seed: string, length: number, kind: "id" | "name" = "id"): string {
  const value = createHash("sha256").update(seed).digest("hex").slice(0, length);
  standIns.set(value, kind);
  return value;
}

/** The stack's ARN; its last part is the UUID CloudFormation gives it. */
export function stackArn(place: Place): string {
  const hex = createHash("sha256").update(`${place.stackName}/stack-id`).digest("hex");
  const uuid = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join("-");
  standIns.set(uuid, "name");
  return `arn:${place.partition}:cloudformation:${place.region}:${place.accountId}:stack/${place.stackName}/${uuid}`;
}

/**
 * An ARN as a policy names it for any account and region: the account and region become
 * "*" (where the ARN has them; AWS's own account "aws", of its managed policies, stays), and
 * every stand-in the oracle made up becomes "*". `generated` says what the wildcard replaced:
 * an id (then nothing but the resource type scopes the pattern) or a name's suffix. Refuses
 * an ARN that still holds a placeholder for something the oracle could not resolve.
 */
export function generalise(arn: string): { pattern: string; generated?: "id" | "name" } {
  if (arn.includes("{unknown:")) throw new Error(`cannot write a policy for an unresolved ARN: ${arn}`);
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return { pattern: arn };
  let resource = parts.slice(5).join(":");
  let generated: "id" | "name" | undefined;
  // Longest first: a name's suffix is the start of the same seed's id.
  for (const [value, kind] of [...standIns].sort(([a], [b]) => b.length - a.length)) {
    for (const form of [value, value.toUpperCase()]) {
      if (resource.includes(form)) {
        resource = resource.split(form).join("*");
        generated = generated === "id" ? "id" : kind;
      }
    }
  }
  const [, partition, service, region, account] = parts;
  const anyAccount = account && account !== "aws" ? "*" : account;
  return { pattern: ["arn", partition, service, region && "*", anyAccount, resource].join(":"), ...(generated ? { generated } : {}) };
}

/** A stable stand-in for an id AWS generates (vpc-…, subnet-…): the same resource always gets the same one. */
export function generatedId(prefix: string, s: Pick<Subject, "logicalId" | "place">): string {
  return `${prefix}${standIn(`${s.place.stackName}/${s.logicalId}`, 17)}`;
}

/** CloudFormation's generated physical name: <stack>-<logical id>-<suffix>, cut to the type's limit. */
export function generatedName(s: Pick<Subject, "logicalId" | "place">, max = 64, lower = false): string {
  const suffix = standIn(`${s.place.stackName}/${s.logicalId}`, 12, "name").toUpperCase();
  const head = `${s.place.stackName}-${s.logicalId}`.slice(0, max - suffix.length - 1);
  const name = `${head}-${suffix}`;
  return lower ? name.toLowerCase() : name;
}

const str = (value: Json | undefined): string | undefined => (typeof value === "string" ? value : undefined);
const list = (value: Json | undefined): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

function ec2(s: Subject, kind: string, id: string): string {
  return `arn:${s.place.partition}:ec2:${s.place.region}:${s.place.accountId}:${kind}/${id}`;
}

/** An EC2 resource named by id in a property (a subnet, a VPC, a group): its ARN. */
function ec2Ref(s: Subject, sarType: string, id: string | undefined): Named[] {
  return id ? [{ sarType, arn: ec2(s, sarType, id) }] : [];
}

function ec2Self(sarType: string, prefix: string): Pick<TypeEntry, "self" | "ref"> {
  return {
    self: (s) => ({ sarType, arn: ec2(s, sarType, generatedId(prefix, s)) }),
    ref: (s) => generatedId(prefix, s),
  };
}

function roleArn(s: Subject, name: string): string {
  return `arn:${s.place.partition}:iam::${s.place.accountId}:role/${name}`;
}

/** Role ARNs in the given properties (a task definition's two roles, a notebook's one). */
function roles(s: Subject, ...keys: string[]): Named[] {
  return keys.flatMap((k) => (str(s.props[k]) ? [{ sarType: "role", arn: str(s.props[k])! }] : []));
}

function ecsArn(s: Subject, rest: string): string {
  return `arn:${s.place.partition}:ecs:${s.place.region}:${s.place.accountId}:${rest}`;
}

function lastPart(arnOrName: string): string {
  return arnOrName.split("/").pop() ?? arnOrName;
}

export const table: Record<string, TypeEntry> = {
  "AWS::EC2::VPC": { ...ec2Self("vpc", "vpc-"), createAction: "CreateVpc", source: EC2 },
  "AWS::EC2::Subnet": {
    ...ec2Self("subnet", "subnet-"),
    related: (s) => ec2Ref(s, "vpc", str(s.props.VpcId)),
    createAction: "CreateSubnet",
    source: EC2,
  },
  "AWS::EC2::InternetGateway": { ...ec2Self("internet-gateway", "igw-"), createAction: "CreateInternetGateway", source: EC2 },
  "AWS::EC2::VPCGatewayAttachment": {
    ref: (s) => generatedId("IGW|", s),
    related: (s) => [...ec2Ref(s, "internet-gateway", str(s.props.InternetGatewayId)), ...ec2Ref(s, "vpc", str(s.props.VpcId))],
    source: EC2,
  },
  "AWS::EC2::RouteTable": {
    ...ec2Self("route-table", "rtb-"),
    related: (s) => ec2Ref(s, "vpc", str(s.props.VpcId)),
    createAction: "CreateRouteTable",
    source: EC2,
  },
  "AWS::EC2::Route": { ref: (s) => generatedId("rtb-route-", s), related: (s) => ec2Ref(s, "route-table", str(s.props.RouteTableId)), source: EC2 },
  "AWS::EC2::SubnetRouteTableAssociation": {
    ref: (s) => generatedId("rtbassoc-", s),
    related: (s) => [...ec2Ref(s, "subnet", str(s.props.SubnetId)), ...ec2Ref(s, "route-table", str(s.props.RouteTableId))],
    source: EC2,
  },
  // Ref is the public address; the ARN names the allocation.
  "AWS::EC2::EIP": {
    self: (s) => ({ sarType: "elastic-ip", arn: ec2(s, "elastic-ip", generatedId("eipalloc-", s)) }),
    ref: (s) => `198.51.100.${parseInt(generatedId("", s).slice(0, 2), 16) % 250}`,
    attrs: { AllocationId: (s) => generatedId("eipalloc-", s) },
    createAction: "AllocateAddress",
    source: EC2,
  },
  "AWS::EC2::NatGateway": {
    ...ec2Self("natgateway", "nat-"),
    related: (s) => [...ec2Ref(s, "subnet", str(s.props.SubnetId)), ...ec2Ref(s, "elastic-ip", str(s.props.AllocationId))],
    createAction: "CreateNatGateway",
    source: EC2,
  },
  "AWS::EC2::VPCEndpoint": {
    ...ec2Self("vpc-endpoint", "vpce-"),
    related: (s) => [
      ...ec2Ref(s, "vpc", str(s.props.VpcId)),
      ...list(s.props.RouteTableIds).flatMap((id) => ec2Ref(s, "route-table", id)),
      ...list(s.props.SubnetIds).flatMap((id) => ec2Ref(s, "subnet", id)),
      ...list(s.props.SecurityGroupIds).flatMap((id) => ec2Ref(s, "security-group", id)),
    ],
    createAction: "CreateVpcEndpoint",
    source: EC2,
  },
  "AWS::EC2::SecurityGroup": {
    ...ec2Self("security-group", "sg-"),
    attrs: { GroupId: (s) => generatedId("sg-", s), VpcId: (s) => str(s.props.VpcId) ?? "" },
    related: (s) => ec2Ref(s, "vpc", str(s.props.VpcId)),
    createAction: "CreateSecurityGroup",
    source: EC2,
  },
  // The rule is named by its group (the handler authorises and revokes by permission, not by rule id).
  "AWS::EC2::SecurityGroupIngress": {
    ref: (s) => generatedId("sgr-", s),
    related: (s) => ec2Ref(s, "security-group", str(s.props.GroupId)),
    source: EC2,
  },

  // An instance: RunInstances names its image, subnet and groups, and the network interface
  // and root volume it makes with it; the instance profile passes the profile's role to EC2.
  "AWS::EC2::Instance": {
    ...ec2Self("instance", "i-"),
    attrs: {
      AvailabilityZone: (s) => str(s.props.AvailabilityZone) ?? `${s.place.region}a`,
      PrivateIp: () => "10.0.0.10",
      PublicIp: () => "198.51.100.10",
    },
    related: (s) => [
      ...(str(s.props.ImageId) ? [{ sarType: "image", arn: `arn:${s.place.partition}:ec2:${s.place.region}::image/${str(s.props.ImageId)}` }] : []),
      ...ec2Ref(s, "subnet", str(s.props.SubnetId)),
      ...list(s.props.SecurityGroupIds).flatMap((id) => ec2Ref(s, "security-group", id)),
      { sarType: "network-interface", arn: ec2(s, "network-interface", generatedId("eni-", s)) },
      { sarType: "volume", arn: ec2(s, "volume", generatedId("vol-", { ...s, logicalId: `${s.logicalId}/root` })) },
      ...profileRoles(s, str(s.props.IamInstanceProfile)),
    ],
    createAction: "RunInstances",
    passedTo: "ec2.amazonaws.com",
    source: EC2,
  },
  // Deleting it with DeletionPolicy Snapshot makes a snapshot of it (CreateSnapshot names both).
  "AWS::EC2::Volume": {
    ...ec2Self("volume", "vol-"),
    related: (s) => kmsKey(s, str(s.props.KmsKeyId)),
    namedBy: { "ec2:CreateSnapshot": (s) => [{ sarType: "snapshot", arn: `arn:${s.place.partition}:ec2:${s.place.region}::snapshot/${generatedId("snap-", s)}` }] },
    createAction: "CreateVolume",
    source: EC2,
  },
  "AWS::EC2::VolumeAttachment": {
    ref: (s) => generatedId("vola-", s),
    related: (s) => [...ec2Ref(s, "instance", str(s.props.InstanceId)), ...ec2Ref(s, "volume", str(s.props.VolumeId))],
    source: EC2,
  },
  "AWS::EC2::EIPAssociation": {
    ref: (s) => generatedId("eipassoc-", s),
    related: (s) => [
      ...ec2Ref(s, "elastic-ip", str(s.props.AllocationId)),
      ...ec2Ref(s, "instance", str(s.props.InstanceId)),
      ...ec2Ref(s, "network-interface", str(s.props.NetworkInterfaceId)),
    ],
    source: EC2,
  },

  // A wait condition handle is CloudFormation's own: Ref is a presigned URL it makes, no other
  // service is called (schemas.ts, LEGACY_HANDLERS).
  "AWS::CloudFormation::WaitConditionHandle": {
    ref: (s) => `https://cloudformation-waitcondition-${s.place.region}.s3.amazonaws.com/${encodeURIComponent(stackArn(s.place))}/${s.logicalId}`,
    source: CLOUDFORMATION,
  },

  "AWS::ECS::Cluster": {
    self: (s) => ({ sarType: "cluster", arn: ecsArn(s, `cluster/${str(s.props.ClusterName) ?? generatedName(s, 255)}`) }),
    ref: (s) => str(s.props.ClusterName) ?? generatedName(s, 255),
    attrs: { Arn: (s) => ecsArn(s, `cluster/${str(s.props.ClusterName) ?? generatedName(s, 255)}`) },
    // A new account's first cluster makes ECS's service-linked role (iam:AWSServiceName = ecs.amazonaws.com).
    related: (s) => [{ sarType: "role", arn: roleArn(s, "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS") }],
    createAction: "CreateCluster",
    source: ECS,
  },
  // The first revision of the family: revision numbers are the only generated part.
  "AWS::ECS::TaskDefinition": {
    self: (s) => ({ sarType: "task-definition", arn: ecsArn(s, `task-definition/${str(s.props.Family) ?? generatedName(s, 255)}:1`) }),
    ref: (s) => ecsArn(s, `task-definition/${str(s.props.Family) ?? generatedName(s, 255)}:1`),
    attrs: { TaskDefinitionArn: (s) => ecsArn(s, `task-definition/${str(s.props.Family) ?? generatedName(s, 255)}:1`) },
    related: (s) => roles(s, "ExecutionRoleArn", "TaskRoleArn"),
    createAction: "RegisterTaskDefinition",
    passedTo: "ecs-tasks.amazonaws.com",
    source: ECS,
  },
  "AWS::ECS::Service": {
    self: (s) => ({ sarType: "service", arn: serviceArn(s) }),
    ref: (s) => serviceArn(s),
    attrs: { Name: (s) => serviceName(s), ServiceArn: (s) => serviceArn(s) },
    // Deployments are read by id; every id of the service is in scope.
    related: (s) => [
      { sarType: "service-deployment", arn: ecsArn(s, `service-deployment/${lastPart(str(s.props.Cluster) ?? "default")}/${serviceName(s)}/oracle`) },
      ...roles(s, "Role"),
    ],
    createAction: "CreateService",
    passedTo: "ecs.amazonaws.com",
    source: ECS,
  },

  "AWS::IAM::Role": {
    self: (s) => ({ sarType: "role", arn: roleArn(s, `${(str(s.props.Path) ?? "/").slice(1)}${roleName(s)}`) }),
    ref: (s) => roleName(s),
    attrs: { Arn: (s) => roleArn(s, `${(str(s.props.Path) ?? "/").slice(1)}${roleName(s)}`), RoleId: (s) => generatedId("AROA", s).toUpperCase() },
    createAction: "CreateRole",
    perCall: {
      "iam:AttachRolePolicy": (s) => list(s.props.ManagedPolicyArns).map((arn) => ({ "iam:PolicyARN": arn })),
      "iam:DetachRolePolicy": (s) => list(s.props.ManagedPolicyArns).map((arn) => ({ "iam:PolicyARN": arn })),
    },
    source: IAM,
  },

  // Ref is the profile's name. Adding a role to it passes the role (iam:PassRole, to EC2).
  "AWS::IAM::InstanceProfile": {
    self: (s) => ({ sarType: "instance-profile", arn: instanceProfileArn(s) }),
    ref: (s) => instanceProfileName(s),
    attrs: { Arn: (s) => instanceProfileArn(s) },
    related: (s) => list(s.props.Roles).flatMap((name) => namedRole(s, name)),
    createAction: "CreateInstanceProfile",
    passedTo: "ec2.amazonaws.com",
    source: IAM,
  },

  "AWS::IAM::ManagedPolicy": {
    self: (s) => ({ sarType: "policy", arn: policyArn(s) }),
    ref: (s) => policyArn(s),
    attrs: { PolicyArn: (s) => policyArn(s) },
    createAction: "CreatePolicy",
    source: IAM,
  },

  "AWS::Logs::LogGroup": {
    self: (s) => ({ sarType: "log-group", arn: logGroupArn(s) }),
    ref: (s) => logGroupName(s),
    attrs: { Arn: (s) => `${logGroupArn(s)}:*` },
    createAction: "CreateLogGroup",
    source: LOGS,
  },

  "AWS::ECR::Repository": {
    self: (s) => ({ sarType: "repository", arn: repositoryArn(s) }),
    ref: (s) => repositoryName(s),
    attrs: {
      Arn: (s) => repositoryArn(s),
      RepositoryUri: (s) => `${s.place.accountId}.dkr.ecr.${s.place.region}.amazonaws.com/${repositoryName(s)}`,
    },
    createAction: "CreateRepository",
    source: ECR,
  },

  "AWS::S3::Bucket": {
    self: (s) => ({ sarType: "bucket", arn: `arn:${s.place.partition}:s3:::${bucketName(s)}` }),
    ref: (s) => bucketName(s),
    attrs: { Arn: (s) => `arn:${s.place.partition}:s3:::${bucketName(s)}`, DomainName: (s) => `${bucketName(s)}.s3.amazonaws.com` },
    // Its objects: the handler lists DeleteObject and PutObjectAcl among its create permissions.
    related: (s) => [{ sarType: "object", arn: `arn:${s.place.partition}:s3:::${bucketName(s)}/*` }],
    createAction: "CreateBucket",
    source: S3,
  },
  "AWS::S3::BucketPolicy": {
    ref: (s) => generatedId("bucket-policy-", s),
    related: (s) => (str(s.props.Bucket) ? [{ sarType: "bucket", arn: `arn:${s.place.partition}:s3:::${str(s.props.Bucket)}` }] : []),
    source: S3,
  },

  "AWS::CodeBuild::Project": {
    self: (s) => ({ sarType: "project", arn: `arn:${s.place.partition}:codebuild:${s.place.region}:${s.place.accountId}:project/${projectName(s)}` }),
    ref: (s) => projectName(s),
    attrs: { Arn: (s) => `arn:${s.place.partition}:codebuild:${s.place.region}:${s.place.accountId}:project/${projectName(s)}` },
    related: (s) => roles(s, "ServiceRole"),
    createAction: "CreateProject",
    passedTo: "codebuild.amazonaws.com",
    source: CODEBUILD,
  },

  // A notebook in a subnet: SageMaker makes its network interface in that subnet, with its groups.
  "AWS::SageMaker::NotebookInstance": {
    self: (s) => ({ sarType: "notebook-instance", arn: sagemakerArn(s, "notebook-instance", notebookName(s)) }),
    ref: (s) => sagemakerArn(s, "notebook-instance", notebookName(s)),
    attrs: { NotebookInstanceName: (s) => notebookName(s) },
    related: (s) => [
      ...roles(s, "RoleArn"),
      ...ec2Ref(s, "subnet", str(s.props.SubnetId)),
      ...list(s.props.SecurityGroupIds).flatMap((id) => ec2Ref(s, "security-group", id)),
      ...(str(s.props.SubnetId) ? [{ sarType: "network-interface", arn: ec2(s, "network-interface", generatedId("eni-", s)) }] : []),
      ...kmsKey(s, str(s.props.KmsKeyId)),
    ],
    createAction: "CreateNotebookInstance",
    passedTo: "sagemaker.amazonaws.com",
    source: SAGEMAKER,
  },
  "AWS::SageMaker::NotebookInstanceLifecycleConfig": {
    self: (s) => ({ sarType: "notebook-instance-lifecycle-config", arn: sagemakerArn(s, "notebook-instance-lifecycle-config", lifecycleName(s)) }),
    ref: (s) => sagemakerArn(s, "notebook-instance-lifecycle-config", lifecycleName(s)),
    attrs: { NotebookInstanceLifecycleConfigName: (s) => lifecycleName(s) },
    createAction: "CreateNotebookInstanceLifecycleConfig",
    source: SAGEMAKER,
  },

  // Cloud Map names its namespaces and services by generated ids; the private namespace makes
  // a Route 53 hosted zone.
  "AWS::ServiceDiscovery::PrivateDnsNamespace": {
    self: (s) => ({ sarType: "namespace", arn: cloudMapArn(s, `namespace/${generatedId("ns-", s)}`) }),
    ref: (s) => generatedId("ns-", s),
    attrs: { Id: (s) => generatedId("ns-", s), Arn: (s) => cloudMapArn(s, `namespace/${generatedId("ns-", s)}`), HostedZoneId: (s) => generatedId("Z", s).toUpperCase() },
    related: (s) => [{ sarType: "hostedzone", arn: `arn:${s.place.partition}:route53:::hostedzone/${generatedId("Z", s).toUpperCase()}` }],
    source: CLOUDMAP,
  },
  "AWS::ServiceDiscovery::Service": {
    self: (s) => ({ sarType: "service", arn: cloudMapArn(s, `service/${generatedId("srv-", s)}`) }),
    ref: (s) => generatedId("srv-", s),
    attrs: { Id: (s) => generatedId("srv-", s), Arn: (s) => cloudMapArn(s, `service/${generatedId("srv-", s)}`), Name: (s) => str(s.props.Name) ?? "" },
    related: (s) => (str(s.props.NamespaceId) ? [{ sarType: "namespace", arn: cloudMapArn(s, `namespace/${str(s.props.NamespaceId)}`) }] : []),
    source: CLOUDMAP,
  },

  "AWS::Budgets::Budget": {
    self: (s) => ({ sarType: "budget", arn: `arn:${s.place.partition}:budgets::${s.place.accountId}:budget/${budgetName(s)}` }),
    ref: (s) => budgetName(s),
    source: BUDGETS,
  },
};

/** A role named in a property, as its stack makes it (its path) or, from outside the stack, at the root path. */
function namedRole(s: Subject, name: string): Named[] {
  const role = s.peer?.(name);
  const arn = role?.type === "AWS::IAM::Role" ? table["AWS::IAM::Role"].attrs!.Arn(role) : roleArn(s, name);
  return [{ sarType: "role", arn }];
}

/** The roles of the instance profile an instance names. */
function profileRoles(s: Subject, profile: string | undefined): Named[] {
  const peer = profile ? s.peer?.(profile) : undefined;
  if (!profile) return [];
  if (peer?.type !== "AWS::IAM::InstanceProfile") throw new Error(`${s.logicalId}: the oracle knows the roles only of an instance profile of the same stack, not ${profile}`);
  return list(peer.props.Roles).flatMap((name) => namedRole(peer, name));
}

function instanceProfileName(s: Subject): string {
  return str(s.props.InstanceProfileName) ?? generatedName(s, 128);
}

function instanceProfileArn(s: Subject): string {
  return `arn:${s.place.partition}:iam::${s.place.accountId}:instance-profile/${(str(s.props.Path) ?? "/").slice(1)}${instanceProfileName(s)}`;
}

/** A KMS key given by ARN or id. */
function kmsKey(s: Subject, key: string | undefined): Named[] {
  if (!key) return [];
  return [{ sarType: "key", arn: key.startsWith("arn:") ? key : `arn:${s.place.partition}:kms:${s.place.region}:${s.place.accountId}:key/${key}` }];
}

function serviceName(s: Subject): string {
  return str(s.props.ServiceName) ?? generatedName(s, 255);
}

function serviceArn(s: Subject): string {
  return ecsArn(s, `service/${lastPart(str(s.props.Cluster) ?? "default")}/${serviceName(s)}`);
}

function roleName(s: Subject): string {
  return str(s.props.RoleName) ?? generatedName(s, 64);
}

function policyArn(s: Subject): string {
  return `arn:${s.place.partition}:iam::${s.place.accountId}:policy/${(str(s.props.Path) ?? "/").slice(1)}${str(s.props.ManagedPolicyName) ?? generatedName(s, 128)}`;
}

function logGroupName(s: Subject): string {
  return str(s.props.LogGroupName) ?? generatedName(s, 512);
}

function logGroupArn(s: Subject): string {
  return `arn:${s.place.partition}:logs:${s.place.region}:${s.place.accountId}:log-group:${logGroupName(s)}`;
}

function repositoryName(s: Subject): string {
  return str(s.props.RepositoryName) ?? generatedName(s, 256, true);
}

function repositoryArn(s: Subject): string {
  return `arn:${s.place.partition}:ecr:${s.place.region}:${s.place.accountId}:repository/${repositoryName(s)}`;
}

function bucketName(s: Subject): string {
  return str(s.props.BucketName) ?? generatedName(s, 63, true);
}

function projectName(s: Subject): string {
  return str(s.props.Name) ?? generatedName(s, 150);
}

function notebookName(s: Subject): string {
  return str(s.props.NotebookInstanceName) ?? `${s.logicalId}-${standIn(`${s.place.stackName}/${s.logicalId}`, 12, "name")}`.slice(0, 63);
}

function lifecycleName(s: Subject): string {
  return str(s.props.NotebookInstanceLifecycleConfigName) ?? `${s.logicalId}-${standIn(`${s.place.stackName}/${s.logicalId}`, 12, "name")}`.slice(0, 63);
}

function budgetName(s: Subject): string {
  const budget = s.props.Budget;
  const named = budget && typeof budget === "object" && !Array.isArray(budget) ? str(budget.BudgetName) : undefined;
  return named ?? generatedName(s, 100);
}

function sagemakerArn(s: Subject, kind: string, name: string): string {
  return `arn:${s.place.partition}:sagemaker:${s.place.region}:${s.place.accountId}:${kind}/${name.toLowerCase()}`;
}

function cloudMapArn(s: Subject, rest: string): string {
  return `arn:${s.place.partition}:servicediscovery:${s.place.region}:${s.place.accountId}:${rest}`;
}
