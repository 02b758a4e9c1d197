import type { Subject } from "./arns";
import type { Json } from "./template";

// Two short lists, each entry with its reason. Nothing else is left unchecked.
//
// EXCUSES: permissions a handler lists for a property the workshop's templates leave out.
// Each is excused only while every named property is absent: add one to a template and the
// permission is checked again (cloudformation/oracle/oracle.test.ts shows it).
//
// REFUSED: permissions the deploy role withholds on purpose. CloudFormation would need them
// only for a change the workshop must never make; such an update fails, as it should.

interface Excuse {
  /** Properties (dotted for nested ones) whose use needs the permission. */
  properties: string[];
  why: string;
}

const kmsKey = (property: string): Excuse => ({ properties: [property], why: "a customer managed KMS key" });

const EXCUSES: Record<string, Record<string, Excuse>> = {
  "AWS::Budgets::Budget": {
    "billing:GetBillingViewData": { properties: ["Budget.BillingViewArn"], why: "a budget over a custom billing view" },
  },
  "AWS::EC2::EIP": {
    "ec2:AcceptAddressTransfer": { properties: ["TransferAddress"], why: "taking over an address from another account" },
    "ec2:AssociateAddress": { properties: ["InstanceId"], why: "attaching the address to an instance (the NAT gateway takes it by AllocationId)" },
    "ec2:DisassociateAddress": { properties: ["InstanceId"], why: "detaching it from an instance" },
  },
  "AWS::EC2::Instance": {
    "ec2:AttachVolume": { properties: ["Volumes"], why: "volumes the instance attaches itself (the host's data volume has its own VolumeAttachment, checked there)" },
    "ec2:DetachVolume": { properties: ["Volumes"], why: "volumes the instance attaches itself" },
    "ssm:CreateAssociation": { properties: ["SsmAssociations"], why: "Systems Manager associations (documents run on the instance; Session Manager needs none)" },
    "ssm:DescribeAssociation": { properties: ["SsmAssociations"], why: "Systems Manager associations" },
    "ssm:DeleteAssociation": { properties: ["SsmAssociations"], why: "Systems Manager associations" },
  },
  "AWS::EC2::NatGateway": {
    "ec2:AssignPrivateNatGatewayAddress": { properties: ["SecondaryPrivateIpAddresses", "SecondaryPrivateIpAddressCount"], why: "secondary private addresses" },
    "ec2:UnassignPrivateNatGatewayAddress": { properties: ["SecondaryPrivateIpAddresses", "SecondaryPrivateIpAddressCount"], why: "secondary private addresses" },
    "ec2:AssociateNatGatewayAddress": { properties: ["SecondaryAllocationIds"], why: "secondary Elastic IPs" },
    "ec2:DisassociateNatGatewayAddress": { properties: ["SecondaryAllocationIds"], why: "secondary Elastic IPs" },
  },
  "AWS::EC2::Subnet": {
    "ec2:AssociateSubnetCidrBlock": { properties: ["Ipv6CidrBlock", "Ipv6CidrBlocks"], why: "IPv6 ranges" },
    "ec2:DisassociateSubnetCidrBlock": { properties: ["Ipv6CidrBlock", "Ipv6CidrBlocks"], why: "IPv6 ranges" },
  },
  "AWS::EC2::Volume": {
    "ec2:CopyVolumes": { properties: ["SourceVolumeId"], why: "a volume copied from another" },
    ...Object.fromEntries(
      ["kms:CreateGrant", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"].map((action) => [
        action,
        { properties: ["KmsKeyId"], why: "a customer managed KMS key (without one, Encrypted uses the account's AWS managed key aws/ebs, whose key policy EBS maintains)" },
      ]),
    ),
  },
  "AWS::EC2::VPC": {
    "ec2:CreateVpcEncryptionControl": { properties: ["VpcEncryptionControl"], why: "VPC encryption controls" },
    "ec2:ModifyVpcTenancy": { properties: ["InstanceTenancy"], why: "dedicated tenancy" },
  },
  "AWS::EC2::VPCEndpoint": {
    "vpc-lattice:CreateServiceNetworkVpcEndpointAssociation": { properties: ["ServiceNetworkArn"], why: "a VPC Lattice service network endpoint" },
    "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation": { properties: ["ServiceNetworkArn"], why: "a VPC Lattice service network endpoint" },
    "vpce:AllowMultiRegion": { properties: ["ServiceRegion"], why: "an endpoint to a service in another region" },
  },
  "AWS::EC2::VPCGatewayAttachment": {
    "ec2:AttachVpnGateway": { properties: ["VpnGatewayId"], why: "a VPN gateway (the workshop attaches an internet gateway)" },
    "ec2:DetachVpnGateway": { properties: ["VpnGatewayId"], why: "a VPN gateway" },
  },
  "AWS::ECR::Repository": {
    "ecr:SetRepositoryPolicy": { properties: ["RepositoryPolicyText"], why: "a repository policy (same-account pulls need none)" },
    "ecr:DeleteRepositoryPolicy": { properties: ["RepositoryPolicyText"], why: "a repository policy" },
    "kms:CreateGrant": kmsKey("EncryptionConfiguration"),
    "kms:DescribeKey": kmsKey("EncryptionConfiguration"),
    "kms:RetireGrant": kmsKey("EncryptionConfiguration"),
  },
  "AWS::ECS::Cluster": {
    "kms:DescribeKey": kmsKey("Configuration"),
  },
  "AWS::ECS::Service": {
    "iam:PassRole": { properties: ["Role"], why: "a service role for a classic load balancer (awsvpc services use ECS's service-linked role)" },
  },
  "AWS::IAM::Role": {
    "iam:AttachRolePolicy": { properties: ["ManagedPolicyArns"], why: "managed policies (the workshop's roles carry inline policies only)" },
    "iam:DetachRolePolicy": { properties: ["ManagedPolicyArns"], why: "managed policies" },
    // The host's role carries managed policies only; granting its deployer PutRolePolicy would
    // let them write any inline policy onto the role they pass to EC2.
    "iam:PutRolePolicy": { properties: ["Policies"], why: "inline policies (the host's role carries managed policies only)" },
    "iam:GetRolePolicy": { properties: ["Policies"], why: "reading inline policies back" },
    "iam:DeleteRolePolicy": { properties: ["Policies"], why: "inline policies" },
    "iam:PutRolePermissionsBoundary": { properties: ["PermissionsBoundary"], why: "a permissions boundary (the host's role has none: the administrator deploys it)" },
    "iam:DeleteRolePermissionsBoundary": { properties: ["PermissionsBoundary"], why: "removing a permissions boundary" },
  },
  "AWS::Logs::LogGroup": {
    "logs:AssociateKmsKey": kmsKey("KmsKeyId"),
    "logs:DisassociateKmsKey": kmsKey("KmsKeyId"),
    "logs:PutDataProtectionPolicy": { properties: ["DataProtectionPolicy"], why: "masking sensitive data" },
    "logs:DeleteDataProtectionPolicy": { properties: ["DataProtectionPolicy"], why: "masking sensitive data" },
    "logs:CreateLogDelivery": { properties: ["DataProtectionPolicy"], why: "delivering a data protection policy's audit findings" },
    "firehose:TagDeliveryStream": { properties: ["DataProtectionPolicy"], why: "audit findings sent to Firehose" },
    "s3:REST.PUT.OBJECT": { properties: ["DataProtectionPolicy"], why: "audit findings sent to S3 (the schema's name for a PutObject)" },
    "logs:PutIndexPolicy": { properties: ["FieldIndexPolicies"], why: "field indexes" },
    "logs:DeleteIndexPolicy": { properties: ["FieldIndexPolicies"], why: "field indexes" },
    "logs:PutResourcePolicy": { properties: ["ResourcePolicyDocument"], why: "a log group resource policy" },
    "logs:DeleteResourcePolicy": { properties: ["ResourcePolicyDocument"], why: "a log group resource policy" },
    "logs:PutBearerTokenAuthentication": { properties: ["BearerTokenAuthenticationEnabled"], why: "bearer-token ingestion" },
    "logs:PutLogGroupDeletionProtection": { properties: ["DeletionProtectionEnabled"], why: "deletion protection (the workshop's groups must go with their stack)" },
  },
  "AWS::S3::Bucket": {
    "iam:PassRole": { properties: ["ReplicationConfiguration"], why: "the replication role" },
    "s3:PutReplicationConfiguration": { properties: ["ReplicationConfiguration"], why: "replication" },
    "s3:PutAccelerateConfiguration": { properties: ["AccelerateConfiguration"], why: "transfer acceleration" },
    "s3:PutAnalyticsConfiguration": { properties: ["AnalyticsConfigurations"], why: "storage class analysis" },
    "s3:PutBucketAbac": { properties: ["AbacStatus"], why: "attribute-based access control" },
    "s3:PutBucketAcl": { properties: ["AccessControl"], why: "a canned ACL (the bucket enforces BucketOwnerEnforced)" },
    "s3:PutBucketCORS": { properties: ["CorsConfiguration"], why: "CORS rules" },
    "s3:PutBucketLogging": { properties: ["LoggingConfiguration"], why: "server access logging" },
    "s3:PutBucketNotification": { properties: ["NotificationConfiguration"], why: "event notifications" },
    "s3:PutBucketObjectLockConfiguration": { properties: ["ObjectLockConfiguration", "ObjectLockEnabled"], why: "object lock" },
    "s3:PutBucketVersioning": { properties: ["VersioningConfiguration"], why: "versioning" },
    "s3:PutBucketWebsite": { properties: ["WebsiteConfiguration"], why: "website hosting" },
    "s3:DeleteBucketWebsite": { properties: ["WebsiteConfiguration"], why: "website hosting" },
    "s3:PutIntelligentTieringConfiguration": { properties: ["IntelligentTieringConfigurations"], why: "Intelligent-Tiering archive tiers" },
    "s3:PutInventoryConfiguration": { properties: ["InventoryConfigurations"], why: "inventory reports" },
    "s3:PutMetricsConfiguration": { properties: ["MetricsConfigurations"], why: "request metrics" },
    ...Object.fromEntries(
      [
        "s3:CreateBucketMetadataTableConfiguration",
        "s3:GetBucketMetadataTableConfiguration",
        "s3:DeleteBucketMetadataTableConfiguration",
        "s3:UpdateBucketMetadataJournalTableConfiguration",
        "s3:UpdateBucketMetadataInventoryTableConfiguration",
        "s3:UpdateBucketMetadataAnnotationTableConfiguration",
        "s3tables:CreateNamespace",
        "s3tables:CreateTable",
        "s3tables:CreateTableBucket",
        "s3tables:GetTable",
        "s3tables:GetTableMetadataLocation",
        "s3tables:PutTableBucketPolicy",
        "s3tables:PutTableEncryption",
        "s3tables:PutTablePolicy",
        "s3tables:UpdateTableMetadataLocation",
      ].map((action) => [action, { properties: ["MetadataConfiguration", "MetadataTableConfiguration"], why: "S3 Metadata tables" }]),
    ),
  },
  "AWS::SageMaker::NotebookInstance": {
    "kms:CreateGrant": kmsKey("KmsKeyId"),
    "kms:Decrypt": kmsKey("KmsKeyId"),
    "kms:DescribeKey": kmsKey("KmsKeyId"),
  },
  "AWS::ServiceDiscovery::PrivateDnsNamespace": {
    "route53:ChangeResourceRecordSets": { properties: ["Properties"], why: "changing the namespace's SOA record" },
  },
  "AWS::ServiceDiscovery::Service": {
    "servicediscovery:UpdateServiceAttributes": { properties: ["ServiceAttributes"], why: "custom service attributes" },
    "servicediscovery:DeleteServiceAttributes": { properties: ["ServiceAttributes"], why: "custom service attributes" },
  },
};

const REFUSED: Record<string, Record<string, string>> = {
  "AWS::IAM::Role": {
    "iam:DeleteRolePermissionsBoundary":
      "Every workshop role carries the access stack's boundary; an update that removes it is what the boundary exists to stop.",
  },
  "AWS::ECS::Cluster": {
    "ecs:PutAccountSetting": "Account-wide ECS settings belong to the account's administrator, not to a workshop stack.",
    "ecs:PutAccountSettingDefault": "Account-wide ECS settings belong to the account's administrator, not to a workshop stack.",
  },
};

function present(props: Record<string, Json>, dotted: string): boolean {
  let node: Json | undefined = props;
  for (const key of dotted.split(".")) {
    if (!node || typeof node !== "object" || Array.isArray(node)) return false;
    node = (node as Record<string, Json>)[key];
  }
  return node !== undefined && node !== null && !(Array.isArray(node) && node.length === 0);
}

/** The properties whose absence excuses this permission on this resource, if it is excused. */
export function excusal(subject: Subject, action: string): string | undefined {
  const excuse = EXCUSES[subject.type]?.[action];
  if (!excuse || excuse.properties.some((p) => present(subject.props, p))) return undefined;
  return excuse.properties.join(" / ");
}

/** Why the deploy role withholds this permission on purpose, if it does. */
export function refusal(type: string, action: string): string | undefined {
  return REFUSED[type]?.[action];
}

export const excuseTable = EXCUSES;
export const refusalTable = REFUSED;
