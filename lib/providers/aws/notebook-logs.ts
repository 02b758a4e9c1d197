import "server-only";
import {
  CreateLogGroupCommand,
  DeleteLogStreamCommand,
  DescribeLogStreamsCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { AwsContext } from "./context";
import { errorName } from "./errors";
import { eventTagKey } from "./stack";

// What SageMaker leaves behind: each notebook instance logs to the account's one
// /aws/sagemaker/NotebookInstances group, in streams named <notebook name>/<log>
// (jupyter.log, LifecycleConfigOnCreate, LifecycleConfigOnStart), and the group keeps them
// for ever unless it has a retention period. Notebooks are named after their stack
// (attendee.yaml), so an environment's streams are found by its stack name.
// https://docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html

export const notebookLogGroup = "/aws/sagemaker/NotebookInstances";
/** The event template's LogRetentionDays default: the notebooks' logs last as long as the cluster's. */
export const notebookLogRetentionDays = 3;

/**
 * Makes the notebooks' log group with a retention period before any notebook writes to it.
 * A group that already exists belongs to whoever else uses SageMaker in the account: its
 * retention is left alone (the portal deletes its own streams instead). Returns whether it
 * was made here.
 */
export async function prepareNotebookLogGroup(ctx: AwsContext): Promise<boolean> {
  try {
    await ctx.limiter.run("logs-write", () =>
      ctx.clients.logs.send(new CreateLogGroupCommand({ logGroupName: notebookLogGroup, tags: { [eventTagKey]: ctx.config.eventId } })),
    );
  } catch (error) {
    if (errorName(error) === "ResourceAlreadyExistsException") return false;
    throw error;
  }
  await ctx.limiter.run("logs-write", () =>
    ctx.clients.logs.send(new PutRetentionPolicyCommand({ logGroupName: notebookLogGroup, retentionInDays: notebookLogRetentionDays })),
  );
  return true;
}

/** Deletes a deleted environment's notebook log streams; returns how many went. */
export async function clearNotebookLogs(ctx: AwsContext, stackName: string): Promise<number> {
  let deleted = 0;
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await ctx.limiter.run("logs-read", () =>
        ctx.clients.logs.send(new DescribeLogStreamsCommand({ logGroupName: notebookLogGroup, logStreamNamePrefix: `${stackName}/`, nextToken })),
      );
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException") return deleted;
      throw error;
    }
    for (const stream of page.logStreams ?? []) {
      if (!stream.logStreamName?.startsWith(`${stackName}/`)) continue;
      await ctx.limiter.run("logs-write", () =>
        ctx.clients.logs.send(new DeleteLogStreamCommand({ logGroupName: notebookLogGroup, logStreamName: stream.logStreamName })),
      );
      deleted++;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return deleted;
}
