import type { Capability } from "@aws-sdk/client-cloudformation";
import type { Template } from "./template";

// What CreateStack/UpdateStack must acknowledge for a template (CloudFormation API reference,
// CreateStack, "Capabilities"): CAPABILITY_IAM for any IAM resource, CAPABILITY_NAMED_IAM when
// one has a custom name, CAPABILITY_AUTO_EXPAND for macros and transforms. Without it the call
// fails with InsufficientCapabilitiesException and nothing is created.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html

const iamTypes: Record<string, string | undefined> = {
  "AWS::IAM::AccessKey": undefined,
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::Policy": undefined,
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::UserToGroupAddition": undefined,
};

export function requiredCapabilities(template: Template): Capability[] {
  const needed = new Set<Capability>();
  for (const resource of Object.values(template.Resources)) {
    if (!(resource.Type in iamTypes)) continue;
    const nameKey = iamTypes[resource.Type];
    needed.add(nameKey && resource.Properties?.[nameKey] !== undefined ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM");
  }
  if (template.Transform !== undefined) needed.add("CAPABILITY_AUTO_EXPAND");
  return [...needed];
}

/** Capabilities a template needs that the given acknowledgement lacks (NAMED_IAM covers IAM). */
export function missingCapabilities(template: Template, given: Capability[]): Capability[] {
  const has = new Set(given);
  return requiredCapabilities(template).filter((c) => !(has.has(c) || (c === "CAPABILITY_IAM" && has.has("CAPABILITY_NAMED_IAM"))));
}
