import "server-only";
import { BudgetsClient } from "@aws-sdk/client-budgets";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { CostExplorerClient } from "@aws-sdk/client-cost-explorer";
import { ECRClient } from "@aws-sdk/client-ecr";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { IAMClient } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import type { AwsProviderConfig } from "./config";

export interface AwsClients {
  cfn: CloudFormationClient;
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  ec2: EC2Client;
  sagemaker: SageMakerClient;
  quotas: ServiceQuotasClient;
  codebuild: CodeBuildClient;
  ecr: ECRClient;
  iam: IAMClient;
  s3: S3Client;
  ce: CostExplorerClient;
  budgets: BudgetsClient;
}

/**
 * The only place SDK clients are made, once per provider. Credentials come from the
 * default chain (environment, shared config, SSO, container or instance role) and stay
 * inside these clients; nothing here logs or returns them. AWS_ENDPOINT_URL (or the SDK's
 * own AWS_ENDPOINT_URL_<SERVICE> variables) points the clients at moto in tests.
 */
export function createAwsClients(config: AwsProviderConfig): AwsClients {
  const common = {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // The rate limiter retries throttled calls itself, with a bound on the total wait;
    // SDK retries on top of that would multiply the wait and the load.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 15_000 },
  };
  return {
    cfn: new CloudFormationClient(common),
    ecs: new ECSClient(common),
    logs: new CloudWatchLogsClient(common),
    ec2: new EC2Client(common),
    sagemaker: new SageMakerClient(common),
    quotas: new ServiceQuotasClient(common),
    // The SDK's own per-service variable (AWS_ENDPOINT_URL_CODEBUILD) wins over AWS_ENDPOINT_URL, as it
    // does when no endpoint is given in code: the moto harness points CodeBuild at its player this way.
    codebuild: new CodeBuildClient({ ...common, ...(config.codebuildEndpoint ? { endpoint: config.codebuildEndpoint } : {}) }),
    ecr: new ECRClient(common),
    // IAM is global: its one endpoint answers whatever the region (a custom endpoint still wins).
    iam: new IAMClient(common),
    // A custom endpoint (moto, LocalStack) serves buckets by path, not by host name; a bucket in
    // another region (ERA5 is in us-west-2) answers with a redirect that the client follows.
    s3: new S3Client({ ...common, followRegionRedirects: true, ...(config.endpoint ? { forcePathStyle: true } : {}) }),
    // Cost Explorer and Budgets answer in us-east-1 only, for the whole account.
    ce: new CostExplorerClient({ ...common, region: "us-east-1" }),
    budgets: new BudgetsClient({ ...common, region: "us-east-1" }),
  };
}
