"""What CloudFormation enforces and moto 5.2 does not, for every moto server the tests start.

Imported by test/moto/server.py (and so by iam_server.py); patches moto's CloudFormation:
  capabilities   CreateStack/UpdateStack of a template with IAM resources and no
                 CAPABILITY_IAM (or CAPABILITY_NAMED_IAM for named ones) is refused with
                 InsufficientCapabilitiesException before anything is created, as AWS does.
  deploy role    CreateStack with a RoleARN: CloudFormation acts as that role, so every create
                 handler permission of every resource is evaluated against the role's policies
                 (inline and attached, read from moto's IAM) by the handler-permission oracle
                 (test/moto/authorize-stack.ts). A refused permission fails the stack as AWS
                 does: the resource CREATE_FAILED with the handler's AccessDenied message, the
                 stack rolled back to ROLLBACK_COMPLETE. A RoleARN moto's IAM does not hold is
                 refused with AWS's ValidationError.
Sources: docs/aws-permissions.md, "CloudFormation as AWS runs it".
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.iam.models import iam_backends

REPO = Path(__file__).resolve().parents[2]

# Resource types that need an acknowledgement, and the property that makes one "named".
IAM_TYPES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}


class InsufficientCapabilitiesException(CloudFormationError):
    code = "InsufficientCapabilitiesException"


def required_capabilities(template: dict[str, Any]) -> list[str]:
    needed: set[str] = set()
    for resource in (template.get("Resources") or {}).values():
        name_key = IAM_TYPES.get(resource.get("Type"), "absent")
        if name_key == "absent":
            continue
        named = name_key is not None and name_key in (resource.get("Properties") or {})
        needed.add("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
    if template.get("Transform") is not None:
        needed.add("CAPABILITY_AUTO_EXPAND")
    return sorted(needed)


def _check_capabilities(response: CloudFormationResponse) -> None:
    body = response._get_param("TemplateBody")
    if not body:
        return
    given = set(response._get_param("Capabilities", []) or [])
    if "CAPABILITY_NAMED_IAM" in given:
        given.add("CAPABILITY_IAM")
    missing = [c for c in required_capabilities(Stack.parse_template(body)) if c not in given]
    if missing:
        raise InsufficientCapabilitiesException(f"Requires capabilities : [{', '.join(missing)}]")


def _role_policies(account_id: str, role_arn: str) -> tuple[str, list[dict[str, Any]]]:
    backend = iam_backends[account_id]["global"]
    try:
        role = backend.get_role_by_arn(role_arn)
    except Exception as error:  # moto raises IAMNotFoundException
        raise ValidationError(message=f"Role {role_arn} is invalid or cannot be assumed") from error
    policies = [{"name": name, "document": json.loads(doc) if isinstance(doc, str) else doc} for name, doc in role.policies.items()]
    for arn, managed in role.managed_policies.items():
        version = next(v for v in managed.versions if v.is_default)
        document = version.document
        policies.append({"name": arn, "document": json.loads(document) if isinstance(document, str) else document})
    return role.arn, policies


def _spec(name: str, template: Any, parameters: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    text = template if isinstance(template, str) else json.dumps(template)
    return {"stackName": name, "template": text, "parameters": {k: str(v) for k, v in parameters.items()}, "tags": tags}


def _denials(backend: CloudFormationBackend, name: str, template: str, parameters: dict[str, Any], tags: dict[str, str], role_arn: str) -> list[dict[str, Any]]:
    principal, policies = _role_policies(backend.account_id, role_arn)
    prior = [
        _spec(s.name, s.template, s.parameters, s.tags)
        for s in backend.stacks.values()
        if s.status not in ("DELETE_COMPLETE", "ROLLBACK_COMPLETE")
    ]
    request = {
        "region": backend.region_name,
        "accountId": backend.account_id,
        "principal": principal,
        "policies": policies,
        "prior": prior,
        "stack": _spec(name, template, parameters, tags),
    }
    result = subprocess.run(
        ["node", "--import", "tsx", str(REPO / "test/moto/authorize-stack.ts")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    if result.returncode != 0:
        raise ValidationError(message=f"the harness could not evaluate the stack's role: {result.stderr[-2000:]}")
    return json.loads(result.stdout)["denied"]


def _role_session(role_arn: str, account_id: str) -> str:
    return f"arn:aws:sts::{account_id}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/AWSCloudFormation"


def _handler_message(denial: dict[str, Any], role_arn: str, account_id: str) -> str:
    action = denial["action"].split(" ")[0]
    service = action.split(":")[0].capitalize()
    return (
        f'Resource handler returned message: "User: {_role_session(role_arn, account_id)} is not authorized to perform: '
        f"{action} on resource: {denial['arn']} because no identity-based policy allows the {action} action "
        f'(Service: {service}, Status Code: 400, Request ID: 00000000-0000-0000-0000-000000000000)" '
        f"(RequestToken: 00000000-0000-0000-0000-000000000000, HandlerErrorCode: AccessDenied)"
    )


def _event(stack: Stack, logical_id: str, resource_type: str, status: str, reason: str | None) -> Event:
    return Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=stack.stack_id if resource_type == "AWS::CloudFormation::Stack" else "",
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )


def _roll_back(stack: Stack, template: str, denial: dict[str, Any], role_arn: str) -> None:
    """The stack as AWS leaves it when one resource's handler is refused: rolled back, nothing left."""
    stack.template = template
    stack._parse_template()
    failed = denial["logicalId"]
    stack.events = [
        _event(stack, stack.name, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"),
        _event(stack, failed, denial["type"], "CREATE_IN_PROGRESS", None),
        _event(stack, failed, denial["type"], "CREATE_FAILED", _handler_message(denial, role_arn, stack.account_id)),
        _event(
            stack,
            stack.name,
            "AWS::CloudFormation::Stack",
            "ROLLBACK_IN_PROGRESS",
            f"The following resource(s) failed to create: [{failed}]. Rollback requested by user.",
        ),
        _event(stack, failed, denial["type"], "DELETE_COMPLETE", None),
        _event(stack, stack.name, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", None),
    ]
    stack.status = "ROLLBACK_COMPLETE"


# What moto creates in place of a stack whose role was refused: nothing of the template survives.
NOTHING = json.dumps({"Resources": {"Refused": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})

_moto_create_stack = CloudFormationBackend.create_stack


def _create_stack(self: CloudFormationBackend, name: str, template: str, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> Stack:
    role_arn = kwargs.get("role_arn")
    tags = kwargs.get("tags") or {}
    if not role_arn or name in [s.name for s in self.stacks.values()]:
        return _moto_create_stack(self, name, template, parameters, *args, **kwargs)
    denials = _denials(self, name, template, parameters, tags, role_arn)
    if not denials:
        return _moto_create_stack(self, name, template, parameters, *args, **kwargs)
    stack = _moto_create_stack(self, name, NOTHING, {}, *args, **kwargs)
    _roll_back(stack, template, denials[0], role_arn)
    return stack


def _guard_capabilities(method: Any) -> Any:
    def guarded(self: CloudFormationResponse) -> Any:
        _check_capabilities(self)
        return method(self)

    return guarded


CloudFormationBackend.create_stack = _create_stack  # type: ignore[method-assign]
CloudFormationResponse.create_stack = _guard_capabilities(CloudFormationResponse.create_stack)  # type: ignore[method-assign]
CloudFormationResponse.update_stack = _guard_capabilities(CloudFormationResponse.update_stack)  # type: ignore[method-assign]
