"""Parliament over every IAM policy the workshop ships: cloudformation/portal-policy.json and
each policy inside the templates (role trust and inline policies, managed policies).

Intrinsic functions are rendered the way a reviewer reads them: account, region and
anything only known at deploy time (imports, attributes) become "*", parameters take their
defaults. Every finding fails, unless SUPPRESSED names it with the reason it is accepted.

Usage: lint_policies.py FILE...   (.json: a policy document; .yaml: a template)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

from cfnlint.decode import decode
from parliament import analyze_policy_string

# (issue, action or "" for any, why it is accepted)
SUPPRESSED: list[tuple[str, str, str]] = [
    (
        "RESOURCE_STAR",
        "ecs:ListTasks",
        "ListTasks' only resource type is container-instance (EC2 launch type); Fargate tasks have none, "
        "so a container-instance ARN would match nothing the portal lists",
    ),
    (
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        "s3:PutLifecycleConfiguration",
        "the build-source bucket's lifecycle rule expires the workshop's own uploaded sources; "
        "it reaches no other bucket (arn:aws:s3:::<prefix>*)",
    ),
    (
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        "s3:PutBucketPolicy",
        "the deploy role writes the event's build-source bucket policy (TLS only) on buckets named "
        "<prefix>*-imagesourcebucket-* alone; the objects in them are the public docker/ folder",
    ),
    (
        "RESOURCE_MISMATCH",
        "ec2:CreateNetworkInterface",
        "IAM authorises a new interface, its subnet and its groups one by one; the deploy role allows "
        "the subnet and groups only when tagged with the event, and the new (untagged) interface in a "
        "statement of its own, so each statement names part of the action's resources on purpose",
    ),
    (
        "UNKNOWN_ACTION",
        "ecs:StopServiceDeployment",
        "added to ECS in 2025, after parliament 1.6.4's copy of the Service Authorization Reference; "
        "the ECS::Service update handler lists it and the oracle's copy (iam-data) knows it",
    ),
    (
        "RESOURCE_STAR",
        "ecr:GetAuthorizationToken",
        "the registry login token has no resource-level permissions (see docs/aws-permissions.md)",
    ),
]

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "*", "AWS::AccountId": "*", "AWS::URLSuffix": "amazonaws.com"}


# What a resource's Arn attribute looks like, for the types whose ARN a policy names; the
# name part is a wildcard, since CloudFormation makes it up.
ARN_SHAPES = {
    "AWS::S3::Bucket": "arn:aws:s3:::{name}*",
    "AWS::ECR::Repository": "arn:aws:ecr:*:*:repository/{name}*",
    "AWS::Logs::LogGroup": "arn:aws:logs:*:*:log-group:{name}*",
    "AWS::CodeBuild::Project": "arn:aws:codebuild:*:*:project/{name}*",
}


def _render(value: Any, names: dict[str, str], roles: frozenset[str] = frozenset()) -> Any:
    if isinstance(value, list):
        return [_render(v, names, roles) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::Sub"}:
        sub = value["Fn::Sub"]
        text, local = (sub, {}) if isinstance(sub, str) else (sub[0], {k: _render(v, names, roles) for k, v in sub[1].items()})
        merged = names | {k: v if isinstance(v, str) else "*" for k, v in local.items()}
        return re.sub(r"\$\{([^}!]+)\}", lambda m: merged.get(m.group(1), "*"), text)
    if set(value) == {"Ref"}:
        return names.get(value["Ref"], "*")
    if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1:] == ["Arn"] and value["Fn::GetAtt"][0] in roles:
        return f"arn:aws:iam::*:role/{value['Fn::GetAtt'][0]}-*"
    if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1:] == ["Arn"] and f"{value['Fn::GetAtt'][0]}.Arn" in names:
        return names[f"{value['Fn::GetAtt'][0]}.Arn"]
    if len(value) == 1 and next(iter(value)).startswith("Fn::"):
        return "*"
    return {k: _render(v, names, roles) for k, v in value.items()}


def template_policies(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    template, problems = decode(str(path))
    if problems or template is None:
        raise SystemExit(f"cannot read {path}: {problems}")
    names = {n: str(p.get("Default", "*")) for n, p in (template.get("Parameters") or {}).items()} | PSEUDO
    names["AWS::StackName"] = "*"
    roles = frozenset(n for n, r in template.get("Resources", {}).items() if r["Type"] == "AWS::IAM::Role")
    for n, r in template.get("Resources", {}).items():
        if r["Type"] in ARN_SHAPES:
            names[f"{n}.Arn"] = ARN_SHAPES[r["Type"]].format(name="")
        if r["Type"] == "AWS::IAM::ManagedPolicy":  # Ref gives the policy's ARN
            names[n] = f"arn:aws:iam::*:policy/{n}-*"
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            # Trust policies are checked by cfn-lint and the rule checker; parliament reads identity policies.
            for policy in props.get("Policies", []):
                yield f"{path.name}:{name}:{policy['PolicyName']}", _render(policy["PolicyDocument"], names, roles)
        elif resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            yield f"{path.name}:{name}", _render(props["PolicyDocument"], names, roles)


def findings(where: str, document: dict[str, Any]) -> list[str]:
    problems = []
    for f in analyze_policy_string(json.dumps(document)).findings:
        actions = f.detail if isinstance(f.detail, list) else [f.detail]
        left = [a for a in actions if not any(f.issue == i and act in str(a) for i, act, _ in SUPPRESSED)]
        if left:
            problems.append(f"{where}: {f.issue} ({f.severity}): {left}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    problems: list[str] = []
    for path in args.files:
        if path.suffix == ".json":
            problems += findings(path.name, json.loads(path.read_text()))
        else:
            for where, document in template_policies(path):
                problems += findings(where, document)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
