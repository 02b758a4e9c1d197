"""Read a CloudFormation template (YAML or JSON) on stdin; print it as JSON that moto can deploy.

This is the one place the test harness bends a template to moto 5.2.5, never the
template itself. Moto has no AWS::ServiceDiscovery::* resources: it skips them, and any
Fn::GetAtt to a skipped resource leaves the stack stuck in CREATE_IN_PROGRESS. So:
  - Cloud Map resources are removed;
  - ECS services lose their ServiceRegistries (the only property that points at them);
  - any other Ref/GetAtt to a removed resource becomes the string "moto-skipped-<id>".
Moto also lacks Fn::Cidr, so a Fn::Cidr over a parameter is computed here from that
parameter's Default (the tests never override those parameters).
Moto 5.2.5 has no AWS::CodeBuild::Project in CloudFormation either (its CodeBuild backend
is a plain model, and its builds succeed the moment they are read), so the harness plays
CodeBuild itself (test/moto/codebuild.mjs): the project is removed here, and a Ref to it
becomes the project's Name, which the player serves. AWS::S3::BucketPolicy is removed too
(moto skips it; nothing refers to it). So is AWS::Budgets::Budget, which moto's CloudFormation
lacks: a Ref to it becomes the budget's name, and a test that needs the budget makes it with
moto's Budgets API.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from typing import Any

from cfnlint.decode import decode_str


def replace_refs(node: Any, removed: set[str]) -> Any:
    if isinstance(node, list):
        return [replace_refs(item, removed) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("Ref") in removed:
        return f"moto-skipped-{node['Ref']}"
    get_att = node.get("Fn::GetAtt")
    if isinstance(get_att, list) and get_att and get_att[0] in removed:
        return f"moto-skipped-{get_att[0]}"
    return {key: replace_refs(value, removed) for key, value in node.items()}


def project_names(node: Any, names: dict[str, Any]) -> Any:
    """A Ref to a removed CodeBuild project or budget becomes the name the template gives it."""
    if isinstance(node, list):
        return [project_names(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("Ref") in names:
        return names[node["Ref"]]
    return {key: project_names(value, names) for key, value in node.items()}


def expand_cidr(node: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [expand_cidr(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    cidr = node.get("Fn::Cidr")
    if cidr is not None:
        block, count, host_bits = cidr
        if isinstance(block, dict):
            block = parameters[block["Ref"]]["Default"]
        network = ipaddress.ip_network(block)
        subnets = network.subnets(new_prefix=network.max_prefixlen - int(host_bits))
        return [str(subnet) for _, subnet in zip(range(int(count)), subnets)]
    return {key: expand_cidr(value, parameters) for key, value in node.items()}


def main() -> int:
    template, matches = decode_str(sys.stdin.read())
    if matches or template is None:
        print(f"cannot parse template: {matches}", file=sys.stderr)
        return 1
    template = json.loads(json.dumps(template))
    resources = template["Resources"]
    projects = {name: r["Properties"]["Name"] for name, r in resources.items() if r["Type"] == "AWS::CodeBuild::Project"}
    projects.update({name: r["Properties"]["Budget"]["BudgetName"] for name, r in resources.items() if r["Type"] == "AWS::Budgets::Budget"})
    for name in projects:
        del resources[name]
    for name in [n for n, r in resources.items() if r["Type"] == "AWS::S3::BucketPolicy"]:
        del resources[name]
    template = project_names(template, projects)
    resources = template["Resources"]
    removed = {name for name, r in resources.items() if r["Type"].startswith("AWS::ServiceDiscovery::")}
    for name in removed:
        del resources[name]
    for resource in resources.values():
        if resource["Type"] == "AWS::ECS::Service":
            resource.get("Properties", {}).pop("ServiceRegistries", None)
        if isinstance(resource.get("DependsOn"), list):
            resource["DependsOn"] = [d for d in resource["DependsOn"] if d not in removed]
        elif resource.get("DependsOn") in removed:
            del resource["DependsOn"]
    template = expand_cidr(replace_refs(template, removed), template.get("Parameters", {}))
    print(json.dumps(template))
    return 0


if __name__ == "__main__":
    sys.exit(main())
