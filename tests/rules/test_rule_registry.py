"""The registry itself: unique well-formed ids, complete metadata, and fixtures for every rule."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from cdkcheck.model import Severity
from cdkcheck_rules import ALL_RULES
from cdkcheck.ruleset import Rule
from rule_fixture_cases import (
    FIXTURES, cases, defined_test_names, is_live_only, live_test_prefix, rule_dir, seeds,
)

RULE_ID = re.compile(r"^CDKC-[A-Z]+\d*$")
RULE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TEXT_FIELDS = ("name", "summary", "rationale", "fix", "example", "docs_url")


def _ids(rules=ALL_RULES):
    return [rule.meta.id for rule in rules]


def test_registry_holds_rules():
    assert ALL_RULES, "cdkcheck_rules.ALL_RULES is empty"
    assert all(isinstance(rule, Rule) for rule in ALL_RULES)


def test_rule_ids_are_unique_and_well_formed():
    duplicates = [rule_id for rule_id, n in Counter(_ids()).items() if n > 1]
    assert not duplicates, f"duplicate rule ids: {duplicates}"
    malformed = [rule_id for rule_id in _ids() if not RULE_ID.match(rule_id)]
    assert not malformed, f"rule ids must look like CDKC-R4: {malformed}"
    names = Counter(rule.meta.name for rule in ALL_RULES)
    assert not [n for n, c in names.items() if c > 1], f"duplicate rule names: {names}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=_ids())
def test_metadata_is_complete(rule: Rule):
    meta = rule.meta
    empty = [f for f in TEXT_FIELDS if not str(getattr(meta, f) or "").strip()]
    assert not empty, f"{meta.id}: empty metadata fields {empty}"
    assert RULE_NAME.match(meta.name), f"{meta.id}: name '{meta.name}' should be kebab-case"
    assert meta.docs_url.startswith("https://"), f"{meta.id}: docs_url must be an https link"
    assert isinstance(meta.severity, Severity)
    assert meta.resource_types and all(isinstance(t, str) and t for t in meta.resource_types), \
        f"{meta.id}: resource_types must name what the rule looks at"


@pytest.mark.parametrize("rule", ALL_RULES, ids=_ids())
def test_every_rule_has_a_pass_and_a_fail_fixture(rule: Rule):
    rule_id = rule.meta.id
    if is_live_only(rule):
        seed_kinds = {p.name.split(".", 1)[0].split("-", 1)[0].split("_", 1)[0] for p in seeds(rule_id)}
        prefix = live_test_prefix(rule_id)
        named_tests = [n for n in defined_test_names() if n == prefix or n.startswith(prefix + "_")]
        assert {"pass", "fail"} <= seed_kinds or named_tests, (
            f"live rule {rule_id} needs fixtures/rules/{rule_id}/pass.seed.json and fail.seed.json, "
            f"or a test named {prefix}_...")
        return
    kinds = {case.kind for case in cases(rule_id)}
    missing = {"pass", "fail"} - kinds
    assert not missing, f"{rule_id}: add {', '.join(f'{rule_dir(rule_id)}/{k}.template.json' for k in sorted(missing))}"


def test_no_fixture_folder_without_a_rule():
    registered = set(_ids())
    orphans = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in registered) \
        if FIXTURES.is_dir() else []
    assert not orphans, f"fixture folders for unregistered rules (typo, or a missing registry line?): {orphans}"
