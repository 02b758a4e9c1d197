import { stackArn } from "./arns";
import { evaluate, type Check, type OracleInput, type StackUnderTest } from "./oracle";
import { StackResolver } from "./resolve";
import { operations, type Operation } from "./schemas";

// What a stack's deployer calls with their own credentials, beside the handlers: a stack
// deployed without a RoleARN (the host stack: the administrator's own rights) runs every
// handler as the caller too, so the caller needs these as well.
//
// - The AWS CLI's `aws cloudformation deploy`: DescribeStacks (does the stack exist?),
//   CreateChangeSet, DescribeChangeSet until it is ready, ExecuteChangeSet, DescribeStacks
//   until the stack is complete (awscli/customizations/cloudformation/deployer.py,
//   https://github.com/aws/aws-cli). `aws cloudformation delete-stack` is DeleteStack, and
//   `wait stack-delete-complete` DescribeStacks. DescribeStackEvents is how a failure is read.
// - CloudFormation reads every Systems Manager parameter an SSM-typed template parameter names
//   when it creates a stack, a change set or an update, as the caller: "AccessDenied. User
//   doesn't have permission to call ssm:GetParameters" comes back from CreateStack itself
//   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/systems-manager-parameter-types.html,
//   https://github.com/yugabyte/yugabyte-db/issues/4336, https://github.com/aws/aws-cdk/issues/20959).
//   Public parameters (/aws/service/…) belong to no account, and AWS names them without one
//   (arn:aws:ssm:<region>::parameter/aws/service/…, as Karpenter's controller policy does);
//   the evaluator needs an account in the ARN, so the oracle names the caller's, and a policy
//   written from it has "*" there, which matches both.

const deploy = [
  "cloudformation:DescribeStacks",
  "cloudformation:CreateChangeSet",
  "cloudformation:DescribeChangeSet",
  "cloudformation:ExecuteChangeSet",
  "cloudformation:DescribeStackEvents",
];

const STACK_CALLS: Record<Operation, string[]> = {
  create: deploy,
  update: deploy,
  delete: ["cloudformation:DeleteStack", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"],
};

const readsParameters: Record<Operation, boolean> = { create: true, update: true, delete: false };

export const STACK_TYPE = "AWS::CloudFormation::Stack";

/** The caller's own calls for one stack, evaluated against the caller's policies. */
export async function callerChecks(stack: StackUnderTest, oracle: OracleInput): Promise<Check[]> {
  const { place } = stack;
  const resolver = new StackResolver(stack);
  const checks: Check[] = [];
  const context = { "aws:RequestedRegion": place.region };
  for (const operation of oracle.operations ?? operations) {
    const calls: { action: string; arn: string; sarType: string }[] = [
      ...STACK_CALLS[operation].map((action) => ({ action, arn: stackArn(place), sarType: "stack" })),
      ...(readsParameters[operation] ? resolver.ssmParameterNames() : []).map((name) => ({
        action: "ssm:GetParameters",
        arn: `arn:${place.partition}:ssm:${place.region}:${place.accountId}:parameter${name}`,
        sarType: "parameter",
      })),
    ];
    for (const call of calls) {
      const { decision, detail } = await evaluate(oracle.principal, place.accountId, call.action, call.arn, context, oracle.policies);
      checks.push({
        stack: place.stackName,
        logicalId: "(the stack)",
        type: STACK_TYPE,
        operation,
        action: call.action,
        iamAction: call.action,
        arn: call.arn,
        sarType: call.sarType,
        context,
        decision,
        ...(detail ? { detail } : {}),
      });
    }
  }
  return checks;
}
