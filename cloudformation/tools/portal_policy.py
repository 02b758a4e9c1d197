"""Write cloudformation/portal-policy.json: the portal's policy from portal-access.yaml.

The access stack's PortalPolicy is the one source. The JSON copy is for reviewing and for
attaching by hand: account and region become "*", parameters take their defaults, and the
deploy role is the one an access stack named `portal-access` gets. Generated rather than
checked against a hand-written copy, so the two can never say different things.

Usage: portal_policy.py [--check]   (--check fails if portal-policy.json is out of date)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

HERE = Path(__file__).resolve().parent.parent
ACCESS = HERE / "portal-access.yaml"
POLICY = HERE / "portal-policy.json"
ACCESS_STACK = "portal-access"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "*", "AWS::AccountId": "*", "AWS::StackName": ACCESS_STACK}
# CloudFormation names a role <stack>-<LogicalId>-<random suffix>.
GETATT = {"CloudFormationRole.Arn": f"arn:aws:iam::*:role/{ACCESS_STACK}-CloudFormationRole-*"}


def _render(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_render(v, names) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    if set(value) == {"Ref"}:
        return names[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        attr = value["Fn::GetAtt"]
        return GETATT[attr if isinstance(attr, str) else ".".join(attr)]
    return {k: _render(v, names) for k, v in value.items()}


def policy_document() -> dict[str, Any]:
    template, problems = decode(str(ACCESS))
    if problems or template is None:
        raise SystemExit(f"cannot read {ACCESS}: {problems}")
    names = {name: str(p["Default"]) for name, p in template["Parameters"].items()} | PSEUDO
    return _render(template["Resources"]["PortalPolicy"]["Properties"]["PolicyDocument"], names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if portal-policy.json is out of date")
    args = parser.parse_args()
    text = json.dumps(policy_document(), indent=2) + "\n"
    if args.check:
        if not POLICY.exists() or POLICY.read_text() != text:
            print("cloudformation/portal-policy.json is out of date: run `make cfn-policy`", file=sys.stderr)
            return 1
        return 0
    POLICY.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
