"""Live rules over a hand-made account (no AWS at all): states and arithmetic moto cannot produce."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import stack_from

from cdkcheck.config import RuleSetting
from cdkcheck.facts.interface import CallerIdentity, DeployedStack, FactUnavailable, QuotaFacts, UsageFacts
from cdkcheck.model import CheckStatus, Severity
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck_rules.live import quotas as live_quotas
from cdkcheck_rules.live import stack_state as live_stack_state
from cdkcheck.ruleset import EnvironmentInfo, RuleContext

REPO = Path(__file__).resolve().parents[2]
EIPS = REPO / "fixtures" / "rules" / "CDKC-L1" / "fail.template.json"
QUEUE = REPO / "fixtures" / "rules" / "CDKC-L7" / "fail.template.json"


class Account:
    def __init__(self, *, stacks=None, elastic_ips=0.0, eip_quota=None):
        self._stacks = stacks or {}
        self._eips = elastic_ips
        self._quota = eip_quota

    def identity(self):
        return CallerIdentity(account="123456789012", arn="arn:aws:iam::123456789012:user/ci")

    def prefetch(self, questions):
        return None

    def deployed_stack(self, name):
        return self._stacks.get(name)

    def quota(self, service, code):
        if (service, code) == ("ec2", "L-0263D0A3") and self._quota is not None:
            return QuotaFacts(service, code, "EC2-VPC Elastic IPs", self._quota, "applied (servicequotas.get_service_quota)")
        return None

    def usage(self, metric):
        if metric == "ec2:elastic-ips":
            return UsageFacts(metric, self._eips, "ec2.describe_addresses")
        raise FactUnavailable(f"not in this test: {metric}")


def _run(rule, stack_file, facts, options=None):
    stack = stack_from(stack_file, "123456789012", "us-east-1", name="Prod")
    context = RuleContext(environment=EnvironmentInfo(name="prod", account="123456789012", region="us-east-1"),
                          stacks=(stack,), facts=facts)
    return run_rules([rule], context, {rule.meta.id: RuleSetting(options=options or {})}, live_required=True)


@pytest.mark.parametrize("status, blocking", [
    ("ROLLBACK_COMPLETE", True), ("UPDATE_ROLLBACK_FAILED", True), ("DELETE_FAILED", True),
    ("UPDATE_IN_PROGRESS", True), ("UPDATE_ROLLBACK_COMPLETE", False), ("REVIEW_IN_PROGRESS", False),
    ("UPDATE_COMPLETE", False),
])
def test_cdkc_l7_stack_states(status, blocking):
    facts = Account(stacks={"Prod": DeployedStack(name="Prod", stack_id="arn:stack/Prod", status=status)})
    findings, outcomes = _run(live_stack_state.RULE, QUEUE, facts)
    assert bool(findings) == blocking
    if blocking:
        assert status in findings[0].message and findings[0].severity is Severity.ERROR


def test_cdkc_l1_resources_already_deployed_are_not_counted_again():
    deployed = DeployedStack(name="Prod", stack_id="arn:stack/Prod", status="UPDATE_COMPLETE",
                             logical_ids=frozenset({"Eip1", "Eip2", "Eip3"}))
    findings, outcomes = _run(live_quotas.RULE, EIPS, Account(stacks={"Prod": deployed}, elastic_ips=5))
    assert not findings  # the five in use include this stack's three
    assert all(o.status is CheckStatus.RAN for o in outcomes)


def test_cdkc_l1_headroom_warns_before_the_limit():
    findings, _ = _run(live_quotas.RULE, EIPS, Account(elastic_ips=6, eip_quota=10), {"headroom_percent": 20})
    assert len(findings) == 1 and findings[0].severity is Severity.WARNING
    assert "within 20% of its limit: 6 in use (ec2.describe_addresses) + 3 requested" in findings[0].message
    assert findings[0].evidence["limit_source"].startswith("applied")
    findings, _ = _run(live_quotas.RULE, EIPS, Account(elastic_ips=6, eip_quota=10), {"headroom_percent": 0})
    assert not findings


def test_cdkc_l1_documented_default_is_named_as_the_source():
    findings, _ = _run(live_quotas.RULE, EIPS, Account(elastic_ips=3))
    assert findings and findings[0].evidence["limit"] == 5
    assert findings[0].evidence["limit_source"].startswith("documented default")
    assert findings[0].suppressible is False
