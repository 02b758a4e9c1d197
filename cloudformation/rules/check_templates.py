"""Workshop policy rules for CloudFormation templates, on top of cfn-lint.

Fails on:
  open-dask-port   ingress to 8786/8787 from 0.0.0.0/0 (literal, or a parameter whose Default is)
  log-retention    an AWS::Logs::LogGroup without RetentionInDays
  retain-policy    DeletionPolicy or UpdateReplacePolicy Retain (stacks must delete cleanly)
  wildcard-action  an IAM policy action "*" or "service:*"
  missing-tags     a taggable resource without the workshop:event and workshop:attendee tags
  circuit-breaker  an ECS service without DeploymentCircuitBreaker Enable and Rollback (a bad image
                   would leave the stack in CREATE_IN_PROGRESS for hours)
  routes-first     in a template that holds the network too (solo), an ECS service or notebook
                   instance that does not depend on every route, route-table association and
                   VPC endpoint (it could start before its network, or outlive it on delete)
  trust-condition  a trust policy condition key the trusted service does not document for roles
                   it assumes (TRUST_CONDITION_KEYS); its AssumeRole would be refused
  role-boundary    in a template with a RoleBoundaryArn parameter, an IAM role whose
                   PermissionsBoundary is not that parameter (the access stack's deploy role
                   creates roles only with the boundary, so such a stack would fail)
  deprecated-property  a property the type's registry schema lists as deprecated, or one its
                   service documents as no longer used (DEPRECATED below)

Usage: check_templates.py TEMPLATE...
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from cfnlint.decode import decode
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

REQUIRED_TAGS = ("workshop:event", "workshop:attendee")
ROUTE_TYPES = ("AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPCEndpoint")
NEEDS_ROUTES = ("AWS::ECS::Service", "AWS::SageMaker::NotebookInstance")
# Condition keys each service documents for the trust policies of roles it assumes (docs/aws.md,
# "Template hardening", has the sources). ECS documents them for task roles; SageMaker documents
# them per feature and not for notebook instances, the only thing that assumes our SageMaker role.
# A service missing from this table is not checked.
TRUST_CONDITION_KEYS = {
    "ecs-tasks.amazonaws.com": {"aws:sourceaccount", "aws:sourcearn"},
    "sagemaker.amazonaws.com": set(),
}
# Properties deprecated in their service's API but not (yet) in the registry schema, with where
# the deprecation is written down.
DEPRECATED = {
    # "This parameter is no longer supported and is always set to 1" (Cloud Map API reference,
    # HealthCheckCustomConfig).
    "AWS::ServiceDiscovery::Service": ["/properties/HealthCheckCustomConfig/FailureThreshold"],
}
DASK_PORTS = (8786, 8787)
WORLD = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Finding:
    rule: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource}: {self.message}"


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """A literal, or the Default of a referenced parameter (what a stack gets when nobody chooses)."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]].get("Default")
    return value


def _ingress_rules(name: str, resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    props = resource.get("Properties", {})
    if resource["Type"] == "AWS::EC2::SecurityGroup":
        yield from props.get("SecurityGroupIngress", []) or []
    elif resource["Type"] == "AWS::EC2::SecurityGroupIngress":
        yield props


def open_dask_port(template: dict[str, Any]) -> Iterator[Finding]:
    parameters = template.get("Parameters", {})
    for name, resource in template.get("Resources", {}).items():
        for rule in _ingress_rules(name, resource):
            source = _resolve(rule.get("CidrIp"), parameters) or _resolve(rule.get("CidrIpv6"), parameters)
            if source not in WORLD:
                continue
            low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
            if str(rule.get("IpProtocol")) == "-1" or any(int(low) <= p <= int(high) for p in DASK_PORTS):
                yield Finding("open-dask-port", name, f"Dask ports 8786/8787 open to {source} by default")


def log_retention(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        if resource["Type"] == "AWS::Logs::LogGroup" and "RetentionInDays" not in resource.get("Properties", {}):
            yield Finding("log-retention", name, "log group keeps logs forever; set RetentionInDays")


def retain_policy(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        for key in ("DeletionPolicy", "UpdateReplacePolicy"):
            if resource.get(key) == "Retain" or resource.get(key) == "RetainExceptOnCreate":
                yield Finding("retain-policy", name, f"{key} {resource[key]} would leave resources behind after teardown")


def _policy_documents(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    props = resource.get("Properties", {})
    for policy in props.get("Policies", []) or []:
        yield policy.get("PolicyDocument", {})
    if "PolicyDocument" in props:
        yield props["PolicyDocument"]
    if "AssumeRolePolicyDocument" in props:
        yield props["AssumeRolePolicyDocument"]


def _actions(statement: dict[str, Any]) -> list[Any]:
    actions = statement.get("Action", [])
    return actions if isinstance(actions, list) else [actions]


def wildcard_action(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        if not resource["Type"].startswith("AWS::IAM::"):
            continue
        for document in _policy_documents(resource):
            statements = document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                if "NotAction" in statement:
                    yield Finding("wildcard-action", name, "NotAction grants everything else")
                for action in _actions(statement):
                    if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                        yield Finding("wildcard-action", name, f'action "{action}" is a wildcard')


def _is_taggable(resource_type: str) -> bool:
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type)
    except Exception:  # unknown type: cfn-lint reports it
        return False
    return "Tags" in schema.schema.get("properties", {})


def _tag_keys(tags: Any) -> set[str]:
    if isinstance(tags, dict):
        return set(tags)
    return {t.get("Key") for t in tags or [] if isinstance(t, dict)}


def missing_tags(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        if not _is_taggable(resource["Type"]):
            continue
        missing = [k for k in REQUIRED_TAGS if k not in _tag_keys(resource.get("Properties", {}).get("Tags"))]
        if missing:
            yield Finding("missing-tags", name, f"{resource['Type']} lacks tags {', '.join(missing)}")


def circuit_breaker(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        if resource["Type"] != "AWS::ECS::Service":
            continue
        config = resource.get("Properties", {}).get("DeploymentConfiguration", {}) or {}
        breaker = config.get("DeploymentCircuitBreaker", {}) or {}
        if breaker.get("Enable") is not True or breaker.get("Rollback") is not True:
            yield Finding("circuit-breaker", name, "ECS service without DeploymentCircuitBreaker Enable and Rollback true")


def _depends_on(resource: dict[str, Any]) -> list[str]:
    depends = resource.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else list(depends)


def routes_first(template: dict[str, Any]) -> Iterator[Finding]:
    resources = template.get("Resources", {})
    routes = {name for name, r in resources.items() if r["Type"] in ROUTE_TYPES}
    if not routes:
        return  # the network lives in another stack, which an import already waits for
    for name, resource in resources.items():
        if resource["Type"] not in NEEDS_ROUTES:
            continue
        missing = sorted(routes - set(_depends_on(resource)))
        if missing:
            yield Finding("routes-first", name, f"{resource['Type']} does not DependsOn {', '.join(missing)}")


def _principal_services(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal", {})
    services = principal.get("Service", []) if isinstance(principal, dict) else []
    return [services] if isinstance(services, str) else list(services)


def trust_condition(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        document = resource.get("Properties", {}).get("AssumeRolePolicyDocument")
        if resource["Type"] != "AWS::IAM::Role" or not isinstance(document, dict):
            continue
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            keys = {key.lower() for test in (statement.get("Condition") or {}).values() for key in test}
            for service in _principal_services(statement):
                allowed = TRUST_CONDITION_KEYS.get(service)
                if allowed is None:
                    continue
                for key in sorted(keys - allowed):
                    yield Finding("trust-condition", name, f"{service} does not document condition {key} for roles it assumes")


def role_boundary(template: dict[str, Any]) -> Iterator[Finding]:
    if "RoleBoundaryArn" not in (template.get("Parameters") or {}):
        return
    wanted = {"Fn::If": ["HasRoleBoundary", {"Ref": "RoleBoundaryArn"}, {"Ref": "AWS::NoValue"}]}
    for name, resource in template.get("Resources", {}).items():
        if resource["Type"] == "AWS::IAM::Role" and resource.get("Properties", {}).get("PermissionsBoundary") != wanted:
            yield Finding("role-boundary", name, "IAM role without PermissionsBoundary: !If [HasRoleBoundary, !Ref RoleBoundaryArn, !Ref AWS::NoValue]")


def _deprecated_paths(resource_type: str) -> list[str]:
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # unknown type: cfn-lint reports it
        schema = {}
    return list(schema.get("deprecatedProperties", [])) + DEPRECATED.get(resource_type, [])


def _has_path(properties: dict[str, Any], path: str) -> bool:
    node: Any = properties
    for part in path.removeprefix("/properties/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def deprecated_property(template: dict[str, Any]) -> Iterator[Finding]:
    for name, resource in template.get("Resources", {}).items():
        for path in _deprecated_paths(resource["Type"]):
            if _has_path(resource.get("Properties", {}), path):
                yield Finding("deprecated-property", name, f"{path.removeprefix('/properties/').replace('/', '.')} is deprecated")


RULES = (
    open_dask_port,
    log_retention,
    retain_policy,
    wildcard_action,
    missing_tags,
    circuit_breaker,
    routes_first,
    trust_condition,
    role_boundary,
    deprecated_property,
)


def check(template: dict[str, Any]) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(template)]


def load(path: Path) -> dict[str, Any]:
    template, matches = decode(str(path))
    if matches or template is None:
        raise SystemExit(f"{path}: cannot parse: {matches}")
    return json.loads(json.dumps(template))


def main() -> int:
    parser = argparse.ArgumentParser(description="Check CloudFormation templates against the workshop's rules.")
    parser.add_argument("templates", nargs="+", type=Path)
    args = parser.parse_args()
    failed = False
    for path in args.templates:
        for finding in check(load(path)):
            print(f"{path}: {finding}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
