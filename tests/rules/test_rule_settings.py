"""Per-environment rule settings (rules.<ID> = {enabled, severity, options}) end to end:
parsed from TOML, applied by cdkcheck.engine.rule_runner.run_rules, then judged by the policy."""

from __future__ import annotations

import tomllib

from cdkcheck.config import parse_config
from cdkcheck.facts.interface import OfflineFacts
from cdkcheck.model import CheckStatus, Severity
from cdkcheck.engine.policy import apply_policy
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck_rules import ALL_RULES
from cdkcheck.ruleset import EnvironmentInfo, RuleContext
from rule_fixture_cases import FIXTURES, stack_from_template

CONFIG = """
[environments.staging]

[environments.production]
max_deploy_minutes = 20
rules.CDKC-V5 = { enabled = false }
rules.CDKC-D1 = { severity = "error" }

[environments.tight]
rules.CDKC-V5 = { options = { free_ip_headroom = 500 } }
"""
RULES = tuple(r for r in ALL_RULES if r.meta.id in ("CDKC-V5", "CDKC-D1"))


def _run(environment_name: str, fixture: str = "fail"):
    """fail: 11-address subnets asked for 12; pass: the same demand in /24s (12 of 251)."""
    environment = parse_config(tomllib.loads(CONFIG), None).environment(environment_name)
    stacks = (stack_from_template(FIXTURES / "CDKC-V5" / f"{fixture}.template.json"),)
    context = RuleContext(environment=EnvironmentInfo(environment_name, None, "us-east-1",
                                                      max_deploy_minutes=environment.max_deploy_minutes),
                          stacks=stacks, facts=OfflineFacts())
    findings, outcomes = run_rules(RULES, context, environment.rules, live_required=False)
    return apply_policy(findings, environment), outcomes


def test_defaults_report_the_capacity_error_and_it_blocks():
    findings, _ = _run("staging")
    assert {f.rule_id for f in findings} == {"CDKC-V5"}  # ~26 min estimate is within the default 60
    assert all(f.severity is Severity.ERROR and f.blocking for f in findings)
    assert {f.construct_path for f in findings} == {"App/Vpc/PrivateSubnet1/Subnet", "App/Vpc/PrivateSubnet2/Subnet"}


def test_disabled_rule_is_skipped_visibly_and_severity_override_makes_d1_block():
    findings, outcomes = _run("production")
    assert "CDKC-V5" not in {f.rule_id for f in findings}
    v5 = [o for o in outcomes if o.check == "rule:CDKC-V5"]
    assert [(o.status, o.reason) for o in v5] == [(CheckStatus.SKIPPED, "disabled in the config")]
    (d1,) = [f for f in findings if f.rule_id == "CDKC-D1"]
    assert d1.severity is Severity.ERROR and d1.blocking  # a warning by default, error by configuration
    assert d1.evidence["max_deploy_minutes"] == 20


def test_options_reach_the_rule():
    findings, _ = _run("tight")
    severities = sorted(f.severity.value for f in findings if f.rule_id == "CDKC-V5")
    assert severities == ["error", "error"]  # over capacity stays an error whatever the headroom option
    findings_pass_case, _ = _run("tight", "pass")
    assert [f.severity for f in findings_pass_case] == [Severity.WARNING, Severity.WARNING]
    assert not any(f.blocking for f in findings_pass_case)

