"""Each workshop rule fires on the bad fixture, and none fires on the real templates."""

from pathlib import Path

import pytest

from check_templates import check, load

HERE = Path(__file__).resolve().parent
BAD = load(HERE / "fixtures" / "bad.yaml")


def findings(rule: str) -> set[str]:
    return {f.resource for f in check(BAD) if f.rule == rule}


def test_open_dask_port_fires_on_a_world_default_and_a_literal_world_cidr() -> None:
    assert findings("open-dask-port") == {"OpenDashboard", "OpenScheduler"}


def test_log_group_without_retention_fires() -> None:
    assert findings("log-retention") == {"ForeverLogs"}


def test_retain_policies_fire() -> None:
    assert findings("retain-policy") == {"ForeverLogs"}
    assert len([f for f in check(BAD) if f.rule == "retain-policy"]) == 2


def test_wildcard_actions_fire() -> None:
    messages = [f.message for f in check(BAD) if f.rule == "wildcard-action"]
    assert any('"*"' in m for m in messages) and any('"s3:*"' in m for m in messages)


def test_missing_tags_fire_only_on_taggable_resources() -> None:
    # The SecurityGroupIngress has no Tags property, so it is not asked for tags.
    assert findings("missing-tags") == {"Untagged"}


def test_roles_without_the_boundary_fire_where_the_template_takes_one() -> None:
    assert findings("role-boundary") == {"PowerfulRole", "ConditionalNotebookRole", "TaskRoleWithDocumentedConditions"}


@pytest.mark.parametrize("name", ["event.yaml", "attendee.yaml", "solo.yaml", "portal-host.yaml"])
def test_workshop_templates_pass(name: str) -> None:
    assert check(load(HERE.parent / name)) == []


def test_services_without_circuit_breaker_and_rollback_fire() -> None:
    assert findings("circuit-breaker") == {"NoBreaker", "BreakerWithoutRollback"}


def test_services_and_notebooks_that_do_not_wait_for_the_routes_fire() -> None:
    # NoBreaker names the route as a string, BreakerWithoutRollback and CarefulService as a list.
    assert findings("routes-first") == {"EarlyService", "EarlyNotebook"}


def test_routes_first_is_not_asked_where_the_network_lives_in_another_stack() -> None:
    template = {"Resources": {"S": {"Type": "AWS::ECS::Service", "Properties": {}}}}
    assert [f for f in check(template) if f.rule == "routes-first"] == []


def test_trust_conditions_a_service_does_not_document_fire() -> None:
    messages = {(f.resource, f.message) for f in check(BAD) if f.rule == "trust-condition"}
    assert messages == {
        ("ConditionalNotebookRole", "sagemaker.amazonaws.com does not document condition aws:sourceaccount for roles it assumes"),
        ("TaskRoleWithDocumentedConditions", "ecs-tasks.amazonaws.com does not document condition aws:sourcevpc for roles it assumes"),
    }


def test_deprecated_properties_fire_from_the_schema_and_from_the_services_own_deprecations() -> None:
    assert findings("deprecated-property") == {"OldHealthCheck", "OldTaskDefinition"}
