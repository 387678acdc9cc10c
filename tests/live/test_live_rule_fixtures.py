"""Every live rule against its seeded accounts: fixtures/rules/CDKC-L*/<case>.seed.json with its template.

A fail case must yield findings of the rule (and nothing UNKNOWN); a pass case
must yield nothing at all. The account is a moto server; the calls moto does
not serve are answered by botocore's Stubber on cdkcheck's own clients.
"""

from __future__ import annotations

import json

import pytest
from harness import run_live, seed_cases, stack_from

from cdkcheck_rules import ALL_RULES

LIVE_RULES = {rule.meta.id: rule for rule in ALL_RULES if rule.meta.needs_live}
CASES = seed_cases(sorted(LIVE_RULES))


def test_every_live_rule_has_a_passing_and_a_failing_seed():
    kinds = {(c.rule_id, c.kind) for c in CASES}
    missing = [f"{rule_id} {kind}" for rule_id in LIVE_RULES for kind in ("pass", "fail") if (rule_id, kind) not in kinds]
    assert not missing, f"live rules without a seeded case: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule_id}/{c.name}" for c in CASES])
def test_live_rule_against_seeded_account(case, aws):
    rule = LIVE_RULES[case.rule_id]
    environment = case.environment()
    seed = json.loads(case.seed_file.read_text())
    account = aws(environment.get("account", "123456789012"))
    account.seed(seed)
    templates = case.templates
    assert templates, f"{case.seed_file}: no template for this case"
    stacks = [stack_from(t, account.account, "us-east-1", saved=account.saved, **environment.get("stack", {}))
              for t in templates]
    run = run_live([rule], stacks, account, stubs=seed.get("stubs", []),
                   environment_account=environment.get("environment_account", account.account),
                   options=environment.get("options"))
    assert not run.unknown, f"{case.name}: UNKNOWN outcomes {[o.reason for o in run.unknown]}"
    if case.kind == "pass":
        assert not run.findings, f"{case.name}: expected no findings, got:\n{run.messages()}"
        return
    assert run.findings, f"{case.name}: expected findings of {case.rule_id}, got none"
    assert {f.rule_id for f in run.findings} == {case.rule_id}
    expected = case.expected()
    if "logical_ids" in expected:
        assert {f.logical_id for f in run.findings if f.logical_id} == set(expected["logical_ids"]), run.messages()
    for text in expected.get("messages_contain", []):
        assert text in run.messages(), f"{text!r} not in:\n{run.messages()}"
