"""Every rule against its own fixtures: fail cases must be found, pass cases must stay silent.

One parametrized test over cdkcheck_rules.ALL_RULES; the fixture layout is in
fixtures/rules/README.md. Live-only rules run against a moto server in tests/live;
tests/rules/test_rule_registry.py fails if one has no seeded pass and fail case.
"""

from __future__ import annotations

import json

import pytest

from cdkcheck_rules import ALL_RULES
from cdkcheck.ruleset import Undetermined, Violation
from rule_fixture_cases import FixtureCase, cases, context_for, is_live_only

RULES_BY_ID = {rule.meta.id: rule for rule in ALL_RULES}


def _parameters():
    params = []
    for rule in ALL_RULES:
        rule_cases = cases(rule.meta.id)
        if is_live_only(rule):
            continue  # seeded against a moto server in tests/live; the registry test makes sure they are
        params.extend(pytest.param(rule.meta.id, case, id=f"{rule.meta.id}-{case.name}") for case in rule_cases)
    return params


def _describe(outcomes) -> str:
    return "\n".join(f"  {type(o).__name__}: {getattr(o, 'logical_id', None)}: "
                     f"{getattr(o, 'message', None) or getattr(o, 'reason', '')}" for o in outcomes)


@pytest.mark.parametrize(("rule_id", "case"), _parameters())
def test_rule_against_fixture(rule_id: str, case: FixtureCase):
    rule = RULES_BY_ID[rule_id]
    outcomes = list(rule.evaluate(context_for(rule, case)))
    violations = [o for o in outcomes if isinstance(o, Violation)]
    undetermined = [o for o in outcomes if isinstance(o, Undetermined)]
    if case.kind == "pass":
        assert not outcomes, f"{case.path.name} must pass {rule_id} cleanly, got:\n{_describe(outcomes)}"
        return
    assert violations, f"{case.path.name} must violate {rule_id}; got:\n{_describe(outcomes) or '  nothing'}"
    assert not undetermined, f"{case.path.name}: a fail fixture must be fully decidable:\n{_describe(undetermined)}"
    if case.expected_file.is_file():
        expected = json.loads(case.expected_file.read_text())
        found = sorted({v.logical_id or "" for v in violations})
        assert found == sorted(expected["logical_ids"]), _describe(violations)
        for fragment in expected.get("messages_contain", []):
            assert any(fragment in v.message for v in violations), f"no message contains {fragment!r}"
    for violation in violations:
        assert violation.message.strip(), "a violation needs a message"
