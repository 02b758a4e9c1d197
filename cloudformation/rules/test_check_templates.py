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


@pytest.mark.parametrize("name", ["event.yaml", "attendee.yaml", "solo.yaml"])
def test_workshop_templates_pass(name: str) -> None:
    assert check(load(HERE.parent / name)) == []
