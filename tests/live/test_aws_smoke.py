"""Opt-in smoke test against a real AWS account (pytest --run-aws). Reads only, like every cdkcheck call."""

from __future__ import annotations

import os

import pytest

from cdkcheck.config import EnvironmentConfig
from cdkcheck.facts.live import open_account


@pytest.mark.aws
def test_real_account_answers_the_account_wide_questions(monkeypatch, sent_operations):
    profile = os.environ.get("CDKCHECK_SMOKE_PROFILE")
    if not profile:
        pytest.skip("set CDKCHECK_SMOKE_PROFILE to the AWS profile to read")
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    region = os.environ.get("CDKCHECK_SMOKE_REGION", "us-east-1")
    facts = open_account(EnvironmentConfig(name="smoke", profile=profile), region)
    assert facts.identity().account.isdigit()
    assert facts.availability_zones()
    assert facts.usage("ec2:vpcs").value >= 0
    assert facts.quota("vpc", "L-F678F1CE").value >= 5
    assert facts.usage("rds:DBInstances").value >= 0
    assert facts.opensearch_instance_types("OpenSearch_2.17")
    assert facts.rds_engine_version("postgres", "17.6") is not None
