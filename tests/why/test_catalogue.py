"""The catalogue of failure reasons: every entry sourced and tied to a rule cdkcheck has."""

from __future__ import annotations

import json

import pytest
from why_support import CASES, WHY

from cdkcheck.why.catalogue import CATALOGUE, match_reason
from cdkcheck.why.events import load_events_file
from cdkcheck.why.records import corpus_record, mask


def _known_rule_ids() -> set[str]:
    import tomllib
    from importlib import resources

    from cdkcheck_rules import ALL_RULES

    blocking = tomllib.loads((resources.files("cdkcheck") / "data" / "cfn_lint_blocking.toml").read_text())
    ids = {rule.meta.id for rule in ALL_RULES}
    return ids | set(_toml_ids(blocking))


def _toml_ids(data) -> list[str]:
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and key[:1] in "EW" and key[1:].isdigit():
                found.append(key)
            found += _toml_ids(value)
    elif isinstance(data, list):
        for item in data:
            found += _toml_ids(item)
    return found


def test_every_entry_names_a_rule_cdkcheck_has_and_a_public_source():
    known = _known_rule_ids()
    assert len(known) > 40
    for entry in CATALOGUE:
        assert entry.source.startswith("https://"), entry.name
        for rule_id in (entry.rule_id, *entry.also) if entry.rule_id else entry.also:
            assert rule_id in known, f"{entry.name}: {rule_id} is not a cdkcheck rule or blocking cfn-lint id"
        if entry.rule_id is None:
            assert entry.note, entry.name
    assert len({e.name for e in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n]["operation"]))
def test_each_fixture_reason_matches_the_expected_rule(name):
    case = CASES[name]
    events = [e for f in case["events"] for e in load_events_file(WHY / f)]
    for expected in case["root_causes"]:
        event = next(e for e in events if e.logical_id == expected["logical_id"] and e.failed)
        entry = match_reason(event.reason, event.resource_type)
        assert (entry.rule_id if entry else None) == expected["matched_rule"], event.reason


def test_the_circuit_breaker_is_known_but_no_rule_covers_it():
    entry = match_reason("Resource handler returned message: \"Error occurred during operation 'ECS Deployment "
                         "Circuit Breaker was triggered'.\"", "AWS::ECS::Service")
    assert entry.rule_id is None and "tasks did not become healthy" in entry.note
    assert match_reason("Some reason nobody has seen", "AWS::SQS::Queue") is None


def test_a_corpus_record_masks_the_accounts_own_identifiers():
    reason = json.loads((WHY / "platform-create.events.json").read_text())["StackEvents"]
    text = next(e["ResourceStatusReason"] for e in reason if e["ResourceStatus"] == "CREATE_FAILED"
                and e["LogicalResourceId"] == "WebLB720665E7")
    masked = mask(text)
    assert "subnet-<id>" in masked and "Request ID: <id>" in masked and "RequestToken: <id>" in masked
    assert "04c9a1e7d2b5f8a36" not in masked and "6a1f3c2e" not in masked
    assert mask("arn:aws:cloudformation:us-east-1:123456789012:stack/A/b was not") == "<arn> was not"
    record = corpus_record(resource_type="AWS::X", status="CREATE_FAILED", reason=text, operation="CREATE",
                           date="2026-11-24", matched_rule="CDKC-V5", caught_by=["CDKC-V5", "CDKC-V5"])
    assert record["caught_by"] == ["CDKC-V5"] and record["matched_rule"] == "CDKC-V5"
