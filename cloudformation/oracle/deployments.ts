import type { Capability } from "@aws-sdk/client-cloudformation";
import path from "node:path";
import { loadAwsConfig } from "@/lib/providers/aws/config";
import { eventStackRequest, stackParameters, stackTags, templateCapabilities } from "@/lib/providers/aws/stack";
import type { EnvironmentRef } from "@/lib/providers/contract";
import type { Place } from "./arns";
import type { StackUnderTest } from "./oracle";
import { readTemplate } from "./template";

// The stacks the portal hands CloudFormation with the deploy role, with the parameters and
// tags its own code sends (lib/providers/aws/stack.ts): the event stack, then an attendee's
// and the dress rehearsal's stacks importing its exports; and, in solo mode, one solo stack.

export const oraclePlace: Omit<Place, "stackName"> = { partition: "aws", region: "us-west-2", accountId: "123456789012" };

const room = {
  AWS_REGION: oraclePlace.region,
  PORTAL_EVENT_ID: "dask-workshop",
  PORTAL_EVENT_STACK: "dask-event",
  PORTAL_NOTEBOOK_REPO_URL: "https://git.example.org/dask-ecs-workshop.git",
  PORTAL_DASHBOARD_CIDR: "203.0.113.7/32",
  // With an alert address the event stack makes its budget, so its handler is checked too.
  PORTAL_BUDGET_EMAIL: "facilitator@example.org",
};
const image = `${oraclePlace.accountId}.dkr.ecr.${oraclePlace.region}.amazonaws.com/dask-workshop/dask-workshop-0a1b2c3d:pins-0123456789ab`;

export type TemplateFile = keyof typeof templateCapabilities;

export interface Deployment {
  file: TemplateFile;
  stack: StackUnderTest;
  /** What the portal acknowledges when it creates this stack. */
  capabilities: Capability[];
}

function values(parameters: { ParameterKey?: string; ParameterValue?: string }[]): Record<string, string> {
  return Object.fromEntries(parameters.map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]));
}

function tags(list: { Key?: string; Value?: string }[]): Record<string, string> {
  return Object.fromEntries(list.map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** The room's stacks in the order they are created; `capabilities` defaults to what the portal passes. */
export function roomDeployments(repoRoot: string, boundaryArn: string, capabilities = templateCapabilities): Deployment[] {
  const template = (file: TemplateFile) => readTemplate(path.join(repoRoot, "cloudformation", file));
  const boundary = { RoleBoundaryArn: boundaryArn };
  const event = loadAwsConfig({ ...room, PORTAL_AWS_MODE: "event" });
  const solo = loadAwsConfig({ ...room, PORTAL_AWS_MODE: "solo", PORTAL_EVENT_STACK: undefined });
  const attendee = (attendeeId: string, stackName: string): EnvironmentRef => ({ id: `env-${attendeeId}`, stackName, attendeeId, attendeeEmail: `${attendeeId}@example.org` });
  const eventRequest = eventStackRequest(event);
  const ada = attendee("ada", "dask-ada-1a2b3c");
  const rehearsal = attendee("rehearsal", "dask-rehearsal-4d5e6f");
  const grace = attendee("grace", "dask-grace-7a8b9c");
  const place = (stackName: string): Place => ({ ...oraclePlace, stackName });
  return [
    {
      file: "event.yaml",
      capabilities: capabilities["event.yaml"],
      stack: { place: place("dask-event"), template: template("event.yaml"), parameters: { ...values(eventRequest.Parameters), ...boundary }, tags: tags(eventRequest.Tags) },
    },
    ...[ada, rehearsal].map((env) => ({
      file: "attendee.yaml" as const,
      capabilities: capabilities["attendee.yaml"],
      stack: {
        place: place(env.stackName),
        template: template("attendee.yaml"),
        parameters: { ...values(stackParameters(event, env, 2, image)), ...boundary },
        tags: tags(stackTags(event, env)),
      },
    })),
    {
      file: "solo.yaml",
      capabilities: capabilities["solo.yaml"],
      stack: {
        place: place(grace.stackName),
        template: template("solo.yaml"),
        parameters: { ...values(stackParameters(solo, grace, 2, image)), ...boundary },
        tags: tags(stackTags(solo, grace)),
      },
    },
  ];
}
