"""CDKC-Q1 is the offline stand-in for CDKC-L1: it speaks only when the account cannot be read."""

from __future__ import annotations

from cdkcheck.facts.interface import CallerIdentity, OfflineFacts
from cdkcheck_rules.vpc import default_quotas as capacity_default_quotas
from cdkcheck.ruleset import EnvironmentInfo, RuleContext, Violation
from rule_fixture_cases import FIXTURES, stack_from_template


class _ReachableAccount(OfflineFacts):
    def identity(self) -> CallerIdentity:
        return CallerIdentity(account="123456789012", arn="arn:aws:iam::123456789012:role/ci")


def _q1(facts):
    stack = stack_from_template(FIXTURES / "CDKC-Q1" / "fail.template.json")  # 6 Elastic IPs
    ctx = RuleContext(environment=EnvironmentInfo("test", None, "us-east-1"), stacks=(stack,), facts=facts)
    return list(capacity_default_quotas.RULE.evaluate(ctx))


def test_offline_the_default_quota_is_compared():
    (violation,) = _q1(OfflineFacts())
    assert isinstance(violation, Violation)
    assert violation.evidence["created"] == 6 and violation.evidence["quota"]["default"] == 5
    assert len(violation.evidence["resources"]) == 6
    assert violation.evidence["resources"][0]["construct_path"] == "Net/Vpc1/PublicSubnet1/EIP"


def test_with_the_account_reachable_the_live_rule_answers_instead():
    assert _q1(_ReachableAccount()) == []
