"""When the account cannot answer, the affected checks are UNKNOWN with the reason: never a pass, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import run_live, stack_from
from moto_account import PartialStubber, free_port

from cdkcheck.config import EnvironmentConfig
from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.facts.live import open_account
from cdkcheck.facts.live import session as live_session
from cdkcheck.facts.live.aws_facts import BotoAccountFacts
from cdkcheck.model import CheckStatus
from cdkcheck_rules.live import quotas as live_quotas
from timeouts import scaled

REPO = Path(__file__).resolve().parents[2]
EIPS = REPO / "fixtures" / "rules" / "CDKC-L1" / "fail.template.json"


def test_unreachable_endpoint_fails_open_within_seconds(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    started = time.monotonic()
    with pytest.raises(FactUnavailable, match="cannot reach the AWS endpoint"):
        open_account(EnvironmentConfig(name="prod"), "us-east-1")
    assert time.monotonic() - started < scaled(10)


def test_missing_credentials_are_detected_without_a_network_call(monkeypatch, sent_operations):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    started = time.monotonic()
    with pytest.raises(FactUnavailable, match="no AWS credentials found"):
        open_account(EnvironmentConfig(name="prod"), "us-east-1")
    assert time.monotonic() - started < scaled(5)
    assert not sent_operations


def test_unknown_profile_is_a_reason_not_a_traceback(monkeypatch):
    with pytest.raises(FactUnavailable, match="profile not found"):
        open_account(EnvironmentConfig(name="prod", profile="no-such-profile"), "us-east-1")


@pytest.mark.parametrize("code, status, reason", [
    ("UnauthorizedOperation", 403, "access denied for ec2:DescribeAddresses"),
    ("RequestLimitExceeded", 503, "throttled by AWS"),
])
def test_denied_or_throttled_call_makes_the_check_unknown(aws, code, status, reason):
    account = aws()
    stack = stack_from(EIPS, account.account, "us-east-1")
    facts = open_account(EnvironmentConfig(name="prod"), "us-east-1")
    stubber = PartialStubber(facts.client("ec2"))
    stubber.stub_error("describe_addresses", code, "no", status)
    stubber.activate()
    from cdkcheck.config import RuleSetting
    from cdkcheck.engine.rule_runner import run_rules
    from cdkcheck.ruleset import EnvironmentInfo, RuleContext

    context = RuleContext(environment=EnvironmentInfo(name="prod", account=account.account, region="us-east-1"),
                          stacks=(stack,), facts=facts)
    findings, outcomes = run_rules([live_quotas.RULE], context, {"CDKC-L1": RuleSetting()}, live_required=True)
    assert not findings
    unknown = [o for o in outcomes if o.status is CheckStatus.UNKNOWN]
    assert unknown and all(o.required for o in unknown)
    assert reason in unknown[0].reason and "EC2-VPC Elastic IPs" in unknown[0].reason


def test_rejected_credentials_stop_every_later_call(aws, sent_operations):
    aws()
    session = live_session.new_session(None, "us-east-1")
    facts = BotoAccountFacts(session, "us-east-1")
    stubber = PartialStubber(facts.client("sts"))
    stubber.stub_error("get_caller_identity", "ExpiredToken", "The security token included in the request is expired")
    stubber.activate()
    with pytest.raises(FactUnavailable, match="rejected the credentials .ExpiredToken"):
        facts.identity()
    before = len(sent_operations)
    with pytest.raises(FactUnavailable, match="ExpiredToken"):
        facts.availability_zones()
    assert len(sent_operations) == before  # not even attempted


def test_credentials_for_another_account_make_account_checks_unknown(aws):
    account = aws("123456789012")
    run = run_live([live_quotas.RULE], [stack_from(EIPS, "222222222222", "us-east-1")], account,
                   environment_account="222222222222")
    assert not run.findings
    assert run.unknown and "reach account 123456789012, not the environment's 222222222222" in run.unknown[0].reason


@pytest.mark.slow
def test_cli_with_unreachable_endpoint_is_inconclusive_in_seconds(tmp_path, synth_cache):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "CDKCHECK_CACHE_DIR": str(synth_cache),
           "AWS_DEFAULT_REGION": "us-east-1"}
    cdkcheck = Path(sys.executable).parent / "cdkcheck"
    started = time.monotonic()
    done = subprocess.run([str(cdkcheck), "staging", "--app", str(REPO / "fixtures" / "apps" / "minimal"),
                           "--format", "json", "-q"], env=env, capture_output=True, text=True, timeout=scaled(300))
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stdout + done.stderr
    assert elapsed < scaled(60), f"took {elapsed:.1f} s"  # seconds, not minutes of retries
    assert "Traceback" not in done.stderr
    import json

    report = json.loads(done.stdout)
    environment = report["environments"][0]
    assert environment["verdict"] == "INCONCLUSIVE"
    live = [c for c in environment["checks"] if c["check"] == "live"]
    assert live and live[0]["status"] == "unknown" and "cannot reach the AWS endpoint" in live[0]["reason"]
