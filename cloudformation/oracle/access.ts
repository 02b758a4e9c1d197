import path from "node:path";
import { table, type Place } from "./arns";
import type { Policy } from "./oracle";
import { StackResolver } from "./resolve";
import { readTemplate, type Json } from "./template";

// The deploy role as the access stack (cloudformation/portal-access.yaml) creates it: its ARN
// and its inline policies with every !Sub resolved for one account and region.

export interface DeployRole {
  arn: string;
  policies: Policy[];
  /** The access stack's RoleBoundaryArn output: every workshop stack's RoleBoundaryArn parameter. */
  boundaryArn: string;
}

export function deployRole(file: string, place: Omit<Place, "stackName">, parameters: Record<string, string> = {}): DeployRole {
  const resolver = new StackResolver({ place: { ...place, stackName: "portal-access" }, template: readTemplate(file), parameters });
  const role = resolver.subject("CloudFormationRole");
  const documents = (role.props.Policies as { PolicyName: string; PolicyDocument: Json }[] | undefined) ?? [];
  return {
    arn: table["AWS::IAM::Role"].attrs!.Arn(role),
    policies: documents.map((p) => ({ name: p.PolicyName, document: p.PolicyDocument })),
    boundaryArn: table["AWS::IAM::ManagedPolicy"].ref(resolver.subject("RoleBoundary")),
  };
}

export const accessTemplate = (repoRoot: string) => path.join(repoRoot, "cloudformation/portal-access.yaml");

/** What the host stack takes from the access stack: PortalPolicy's ARN, and the host stack's name (PortalHostStack). */
export function accessForHost(file: string, place: Omit<Place, "stackName">): { portalPolicyArn: string; hostStackName: string; stackNamePrefix: string } {
  const template = readTemplate(file);
  const resolver = new StackResolver({ place: { ...place, stackName: "portal-access" }, template, parameters: {} });
  const hostStackName = template.Parameters?.PortalHostStack?.Default;
  const stackNamePrefix = template.Parameters?.StackNamePrefix?.Default;
  if (typeof hostStackName !== "string" || typeof stackNamePrefix !== "string") throw new Error("portal-access.yaml lacks the defaults of PortalHostStack and StackNamePrefix");
  return { portalPolicyArn: table["AWS::IAM::ManagedPolicy"].ref(resolver.subject("PortalPolicy")), hostStackName, stackNamePrefix };
}
