"""The host stack's safety, read from cloudformation/portal-host.yaml itself: the properties
moto 5.2.5 drops when it deploys the template (lib/backup/host-stack.aws.int.test.ts deploys
the rest). docs/hosting.md, "Facts relied on", gives AWS's word for what each one does."""

from pathlib import Path
from typing import Any

from check_templates import load

TEMPLATE = load(Path(__file__).resolve().parent.parent / "portal-host.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def props(name: str) -> dict[str, Any]:
    return RESOURCES[name]["Properties"]


def test_the_instance_answers_imdsv2_only_and_one_hop_away() -> None:
    assert props("Host")["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1}


def test_nothing_opens_ssh_and_only_80_and_443_come_in() -> None:
    ingress = props("HostSecurityGroup")["SecurityGroupIngress"]
    assert sorted((r["FromPort"], r["ToPort"]) for r in ingress) == [(80, 80), (443, 443)]
    assert not [n for n, r in RESOURCES.items() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert "KeyName" not in props("Host")


def test_the_instance_role_carries_the_portal_policy_and_session_manager_and_nothing_inline() -> None:
    role = props("HostRole")
    assert role["ManagedPolicyArns"] == [
        {"Ref": "PortalPolicyArn"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"},
    ]
    assert "Policies" not in role
    assert not [n for n, r in RESOURCES.items() if r["Type"] in ("AWS::IAM::User", "AWS::IAM::AccessKey")]


def test_the_data_volume_is_encrypted_gp3_and_becomes_a_snapshot_when_deleted_or_replaced() -> None:
    volume = RESOURCES["DataVolume"]
    assert volume["DeletionPolicy"] == "Snapshot" and volume["UpdateReplacePolicy"] == "Snapshot"
    assert volume["Properties"]["Encrypted"] is True and volume["Properties"]["VolumeType"] == "gp3"
    assert volume["Properties"]["Size"] == {"Ref": "DataVolumeSize"}


def test_the_bucket_is_encrypted_versioned_expiring_private_and_tls_only() -> None:
    bucket = props("BackupBucket")
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == {"Ref": "BackupRetentionDays"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    [statement] = props("BackupBucketPolicy")["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_image_comes_from_aws_public_parameters_for_arm64() -> None:
    image = TEMPLATE["Parameters"]["ImageParameter"]
    assert image["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert image["AllowedValues"] == [
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        "/aws/service/debian/release/13/latest/arm64",
    ]
    assert all(t.split(".")[0][-1] == "g" for t in TEMPLATE["Parameters"]["InstanceType"]["AllowedValues"])
