"""moto server for the IAM-enforced tests (test/moto/server.mjs starts it with iam: true).

moto 5.2 checks each call's *action* against the caller's policies, but passes "*" as the
resource for every service except IAM, STS and SQS, and never checks iam:PassRole. So that
the portal's resource scopes are tested at all, this launcher gives moto the resource
ARN AWS would authorise for the calls the portal makes, and checks PassRole for a stack's
RoleARN, using moto's own policy evaluation in both cases. Nothing else changes:
  cloudformation  every call with a StackName: the stack's ARN (stack/<name>/* for a name)
  ecs             UpdateService, DescribeServices: service/<cluster>/<service> (the first named)
                  DescribeTasks: task/<cluster>/<task> (the first named)
  logs            calls naming a log group: log-group:<name> (DeleteLogStream: its stream's ARN)
  codebuild       calls naming a project (projectName, or build ids <project>:<uuid>): project/<name>
  ecr             calls naming a repository: repository/<name>
  iam             a call naming a role that does not exist yet (moto says "*"): role/<name>,
                  as AWS authorises GetRole before answering NoSuchEntity; CreateServiceLinkedRole:
                  the role it makes, role/aws-service-role/<service>/<name>
  CreateStack / DeleteStack with RoleARN: iam:PassRole on it, passed to cloudformation.amazonaws.com
Condition keys other than iam:PassedToService are not evaluated by moto (docs/aws-permissions.md).
CloudFormation's own rules (capabilities, resources created as the stack's role) come from
cloudformation_rules.py, as for every moto server of the tests.
"""

from __future__ import annotations

import sys
from typing import Any

import cloudformation_rules  # noqa: F401  (capabilities and the deploy role, as for every moto server)
from service_linked_roles import linked_role_arn  # also gives moto AWS's names for service-linked roles
import template_parsing  # noqa: F401  (templates read by libyaml's C loader)
from moto import settings
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.codebuild.responses import CodeBuildResponse
from moto.ecr.responses import ECRResponse
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult, create_access_key
from moto.iam.responses import IamResponse
from moto.logs.responses import LogsResponse
from moto.server import main


def _last(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def _stack(self: Any) -> str:
    name = self._get_param("StackName")
    if not name:
        return "*"
    return name if name.startswith("arn:") else f"arn:aws:cloudformation:{self.region}:{self.current_account}:stack/{name}/*"


def _ecs(self: Any) -> str:
    action = self._get_action()
    cluster = _last(self._get_param("cluster") or "default")
    base = f"arn:aws:ecs:{self.region}:{self.current_account}"
    if action == "UpdateService":
        return f"{base}:service/{cluster}/{_last(self._get_param('service'))}"
    if action == "DescribeServices" and self._get_param("services"):
        return f"{base}:service/{cluster}/{_last(self._get_param('services')[0])}"
    if action == "DescribeTasks" and self._get_param("tasks"):
        return f"{base}:task/{cluster}/{_last(self._get_param('tasks')[0])}"
    return "*"


def _logs(self: Any) -> str:
    group = self._get_param("logGroupName")
    if not group:
        return "*"
    arn = f"arn:aws:logs:{self.region}:{self.current_account}:log-group:{group}"
    if self._get_action() == "DeleteLogStream" and self._get_param("logStreamName"):
        return f"{arn}:log-stream:{self._get_param('logStreamName')}"
    return arn


def _codebuild(self: Any) -> str:
    base = f"arn:aws:codebuild:{self.region}:{self.current_account}:project"
    if self._get_param("projectName"):
        return f"{base}/{self._get_param('projectName')}"
    ids = self._get_param("ids") or []
    return f"{base}/{ids[0].split(':')[0]}" if ids else "*"


def _ecr(self: Any) -> str:
    name = self._get_param("repositoryName")
    return f"arn:aws:ecr:{self.region}:{self.current_account}:repository/{name}" if name else "*"


_moto_iam_resource = IamResponse._determine_resource


def _iam(self: Any) -> str:
    if self._get_action() == "CreateServiceLinkedRole" and "AWSServiceName" in self.data:
        return linked_role_arn(self.current_account, self.data["AWSServiceName"][0])
    found = _moto_iam_resource(self)
    if found == "*" and "RoleName" in self.data:
        return f"arn:aws:iam::{self.current_account}:role/{self.data['RoleName'][0]}"
    return found


def _enforcing() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def _pass_role_result(policy: Any, role: str) -> PermissionResult:
    """PassRole of `role` to CloudFormation under one policy, statement by statement.

    moto 5.2 answers DENIED for an Allow statement whose condition does not hold (e.g. the
    portal's PassRole to ecs-tasks.amazonaws.com for the rehearsal's task roles); AWS treats
    such a statement as not applying. Only an explicit Deny denies here.
    """
    statements = IAMPolicy(policy)._policy_json["Statement"]
    decision = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        result = IAMPolicyStatement(statement).is_action_permitted(
            "iam:PassRole", role, incoming_condition_values={"iam:PassedToService": "cloudformation.amazonaws.com"}
        )
        if result == PermissionResult.DENIED and statement.get("Effect") == "Allow":
            continue
        if result == PermissionResult.DENIED:
            return result
        if result == PermissionResult.PERMITTED:
            decision = result
    return decision


def _check_pass_role(self: Any) -> None:
    role = self._get_param("RoleARN")
    if not role or not _enforcing():
        return
    key_id = self.headers["Authorization"].split("Credential=")[1].split("/")[0]
    key = create_access_key(self.current_account, "aws", key_id, self.headers)
    permitted = False
    for policy in key.collect_policies():
        result = _pass_role_result(policy, role)
        if result == PermissionResult.DENIED:
            permitted = False
            break
        permitted = permitted or result == PermissionResult.PERMITTED
    if not permitted:
        raise AccessDeniedError(user_arn=key.arn, action=f"iam:PassRole on resource: {role}")


def _guard(method: Any) -> Any:
    def guarded(self: Any) -> Any:
        _check_pass_role(self)
        return method(self)

    return guarded


CloudFormationResponse._determine_resource = _stack  # type: ignore[attr-defined]
EC2ContainerServiceResponse._determine_resource = _ecs  # type: ignore[attr-defined]
LogsResponse._determine_resource = _logs  # type: ignore[attr-defined]
CodeBuildResponse._determine_resource = _codebuild  # type: ignore[attr-defined]
ECRResponse._determine_resource = _ecr  # type: ignore[attr-defined]
IamResponse._determine_resource = _iam  # type: ignore[method-assign]
CloudFormationResponse.create_stack = _guard(CloudFormationResponse.create_stack)  # type: ignore[method-assign]
CloudFormationResponse.delete_stack = _guard(CloudFormationResponse.delete_stack)  # type: ignore[method-assign]

if __name__ == "__main__":
    main(sys.argv[1:])
