"""Service-linked roles under the names AWS gives them (moto 5.2 derives "AWSServiceRoleForecs").

The portal checks for the roles by their documented names, so the harness makes moto use them:
  ecs.amazonaws.com            AWSServiceRoleForECS
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html
  servicequotas.amazonaws.com  AWSServiceRoleForServiceQuotas
    https://docs.aws.amazon.com/servicequotas/latest/userguide/using-service-linked-roles.html
Imported by test/moto/server.py.
"""

from moto.iam import models

NAMES = {"ecs": "ECS", "servicequotas": "ServiceQuotas"}
models.SERVICE_NAME_CONVERSION.update(NAMES)


def linked_role_arn(account_id: str, service_name: str) -> str:
    """The ARN IAM authorises CreateServiceLinkedRole against: the role it will make."""
    service = service_name.split(".")[0]
    return f"arn:aws:iam::{account_id}:role/aws-service-role/{service_name}/AWSServiceRoleFor{NAMES.get(service, service)}"
