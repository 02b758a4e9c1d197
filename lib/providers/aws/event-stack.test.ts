import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "./clients";
import { loadAwsConfig } from "./config";
import { AwsContext } from "./context";
import { deletionBlocker, eventStackStatus, eventStackToken } from "./event-stack";

const config = loadAwsConfig({ AWS_REGION: "us-west-2", PORTAL_AWS_MODE: "event", PORTAL_EVENT_STACK: "room-net", PORTAL_EVENT_ID: "room" });
const stack = (n: number) => ({ stackName: `dask-a${n}`, attendeeId: `a${n}`, status: "CREATE_COMPLETE" as const });

describe("event stack", () => {
  it("gives one CloudFormation token per facilitator request", () => {
    const token = eventStackToken(config, "req-1");
    expect(token).toMatch(/^event-[0-9a-f]{40}$/);
    expect(eventStackToken(config, "req-1")).toBe(token);
    expect(eventStackToken(config, "req-2")).not.toBe(token);
    expect(() => eventStackToken(config, "not valid!")).toThrow(/no valid id/);
  });

  it("refuses deletion while attendee stacks exist, naming a few of them", () => {
    expect(deletionBlocker([])).toBeUndefined();
    expect(deletionBlocker([stack(1)])).toMatch(/^1 attendee stack still uses the event stack \(dask-a1\)/);
    const many = deletionBlocker(Array.from({ length: 8 }, (_, i) => stack(i)));
    expect(many).toMatch(/^8 attendee stacks still use the event stack \(dask-a0, dask-a1, dask-a2, dask-a3, dask-a4 and 3 more\)/);
  });
});

describe("event stack status", () => {
  it("shows the failing resource's reason from the latest stack events", async () => {
    const stack = { StackName: "room-net", StackId: "arn:stack/room-net/1", StackStatus: "ROLLBACK_COMPLETE", CreationTime: new Date(0) };
    const events = [
      { EventId: "4", LogicalResourceId: "room-net", ResourceType: "AWS::CloudFormation::Stack", ResourceStatus: "ROLLBACK_COMPLETE" },
      { EventId: "3", LogicalResourceId: "NatGateway", ResourceType: "AWS::EC2::NatGateway", ResourceStatus: "CREATE_FAILED", ResourceStatusReason: "Resource creation cancelled" },
      { EventId: "2", LogicalResourceId: "NatAddress", ResourceType: "AWS::EC2::EIP", ResourceStatus: "CREATE_FAILED", ResourceStatusReason: "The maximum number of addresses has been reached." },
      { EventId: "1", LogicalResourceId: "room-net", ResourceType: "AWS::CloudFormation::Stack", ResourceStatus: "CREATE_IN_PROGRESS" },
    ];
    const cfn = {
      send: async (command: object) => (command.constructor.name === "DescribeStacksCommand" ? { Stacks: [stack] } : { StackEvents: events }),
    } as unknown as CloudFormationClient;
    const view = await eventStackStatus(new AwsContext(config, { clients: { cfn } as AwsClients }));
    expect(view).toMatchObject({
      status: "ROLLBACK_COMPLETE",
      reason: "NatAddress (AWS::EC2::EIP): The maximum number of addresses has been reached.",
    });
  });
});
