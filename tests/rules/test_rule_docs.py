"""`cdkcheck rules`, `cdkcheck explain` and docs/rules.md, all rendered from the rule metadata."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cdkcheck.cli.main import app
from cdkcheck.cli.rule_reference import rules_markdown
from cdkcheck_rules import ALL_RULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rules_md_is_current():
    assert DOCS.is_file(), "docs/rules.md is missing: run `python -m cdkcheck.cli.docs > docs/rules.md`"
    assert DOCS.read_text() == rules_markdown(), \
        "docs/rules.md is stale: run `python -m cdkcheck.cli.docs > docs/rules.md` and commit it"


def test_docs_mention_every_rule_and_its_link():
    text = rules_markdown()
    for rule in ALL_RULES:
        assert f"## {rule.meta.id} {rule.meta.name}" in text
        assert rule.meta.docs_url in text


def test_rules_command_lists_every_rule_and_the_folded_in_policy():
    result = CliRunner().invoke(app, ["rules"])
    assert result.exit_code == 0, result.output
    for rule in ALL_RULES:
        line = next((ln for ln in result.output.splitlines() if ln.strip().startswith(rule.meta.id + " ")), "")
        assert rule.meta.severity.value in line and rule.meta.name in line, rule.meta.id
    assert "W3691" in result.output and "checkov_blocking" in result.output
    assert "CDK-MISSING-CONTEXT" in result.output


def test_explain_prints_rationale_fix_example_and_link():
    rule = next(r for r in ALL_RULES if r.meta.id == "CDKC-V5")
    result = CliRunner().invoke(app, ["explain", "cdkc-v5"])
    assert result.exit_code == 0, result.output
    for part in ("Why:", "Fix:", "Example:", rule.meta.docs_url, "free_ip_headroom"):
        assert part in result.output


def test_explain_accepts_the_rule_name():
    result = CliRunner().invoke(app, ["explain", "deploy-duration"])
    assert result.exit_code == 0 and result.output.startswith("CDKC-D1")


def test_explain_unknown_id_is_a_usage_error_with_a_suggestion():
    result = CliRunner().invoke(app, ["explain", "CDKC-V55"])
    assert result.exit_code == 2
    assert "unknown rule 'CDKC-V55'" in result.output and "did you mean 'CDKC-V5'" in result.output


def test_explain_points_external_ids_at_their_tool():
    result = CliRunner().invoke(app, ["explain", "CKV_AWS_16"])
    assert result.exit_code == 2 and "checkov" in result.output


def test_explain_and_the_docs_list_the_facts_a_rule_relies_on_with_sources():
    rule = next(r for r in ALL_RULES if r.meta.id == "CDKC-E1")
    assert rule.meta.facts
    result = CliRunner().invoke(app, ["explain", "CDKC-E1"])
    assert result.exit_code == 0, result.output
    assert "Facts relied on:" in result.output
    for item in rule.meta.facts:
        assert f"source: {item.source}" in result.output
    text = rules_markdown()
    assert all(f"({item.source})" in text for item in rule.meta.facts)


def test_rules_without_facts_explain_as_before():
    result = CliRunner().invoke(app, ["explain", "CDKC-V5"])
    assert result.exit_code == 0 and "Facts relied on:" not in result.output
