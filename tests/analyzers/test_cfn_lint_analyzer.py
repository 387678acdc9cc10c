from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from cdkcheck.analyzers import ANALYZER_FAILED
from cdkcheck.analyzers import cfn_lint
from cdkcheck.analyzers.cache import ResultCache
from cdkcheck.analyzers.cfn_lint import CDK_NOISE_RULES, run_cfn_lint
from cdkcheck.model import CheckStatus, Severity, Source


def by_rule(report, rule_id):
    return [f for f in report.findings if f.rule_id == rule_id]


@pytest.fixture
def count_lints(monkeypatch):
    """Counts templates actually handed to cfn-lint."""
    calls = []
    real = cfn_lint._Linters.lint

    def counting(self, template, region):
        calls.append(template.path.name)
        return real(self, template, region)

    monkeypatch.setattr(cfn_lint._Linters, "lint", counting)
    return calls


@pytest.mark.slow
def test_errors_are_folded_with_rule_stack_construct_path_and_line(orders):
    report = run_cfn_lint(orders.stacks, region="eu-west-1")

    assert [o.status for o in report.outcomes] == [CheckStatus.RAN]
    [too_long] = [f for f in by_rule(report, "E3034") if f.logical_id == "Queue"]
    assert too_long.source is Source.CFN_LINT
    assert too_long.severity is Severity.ERROR
    assert too_long.stack == "Prod/Orders"
    assert too_long.construct_path == "Prod/Orders/Queue"
    assert too_long.property_path == "Properties/VisibilityTimeout"
    assert "43200" in too_long.message
    assert too_long.location.line == 6  # "VisibilityTimeout": 999999
    assert too_long.location.kind == "template"
    assert too_long.location.file.endswith("assembly-Prod/ProdOrders525171E2.template.json")
    assert too_long.fix and "cfn-lint" in too_long.fix
    assert not too_long.blocking  # the policy decides, not the analyzer

    [deprecated] = by_rule(report, "W3691")
    assert deprecated.severity is Severity.WARNING
    assert (deprecated.logical_id, deprecated.construct_path) == ("Database", "Prod/Orders/Database")
    assert "9.6.1" in deprecated.message and deprecated.location.line == 14

    [password] = by_rule(report, "W2501")
    assert password.property_path == "Properties/MasterUserPassword" and password.location.line == 19


@pytest.mark.slow
def test_nested_stacks_are_linted_as_their_own_stack(orders):
    report = run_cfn_lint(orders.stacks, region="eu-west-1")
    [retention] = [f for f in by_rule(report, "E3034") if f.logical_id == "ArchiveQueue"]
    assert retention.stack == "Prod/Orders/Archive"
    assert retention.construct_path == "Prod/Orders/Archive/ArchiveQueue"
    assert retention.location.file.endswith("ProdOrdersArchiveB8224F7E.nested.template.json")
    assert "minimum of 60" in retention.message


@pytest.mark.slow
def test_cdk_noise_is_ignored_by_default_and_more_can_be_ignored(data_dir, make_stack, orders):
    noisy = make_stack(data_dir / "redundant_depends_on.template.json")
    assert "W3005" in CDK_NOISE_RULES
    assert run_cfn_lint([noisy], region=None).findings == ()

    everything = run_cfn_lint(orders.stacks, region="eu-west-1")
    fewer = run_cfn_lint(orders.stacks, region="eu-west-1", ignore=["W2501", "W36"])
    assert by_rule(everything, "W2501") and by_rule(everything, "W3691")
    assert not by_rule(fewer, "W2501") and not by_rule(fewer, "W3691")
    assert by_rule(fewer, "E3034")


@pytest.mark.slow
def test_a_second_run_reads_the_cache_and_binds_to_each_stack(orders, tmp_path, count_lints):
    cache = ResultCache(tmp_path)
    first = run_cfn_lint(orders.stacks, region="eu-west-1", cache=cache)
    assert sorted(count_lints) == ["ProdOrders525171E2.template.json", "ProdOrdersArchiveB8224F7E.nested.template.json"]

    second = run_cfn_lint(orders.stacks, region="eu-west-1", cache=cache)
    assert len(count_lints) == 2  # nothing linted again
    assert second.findings == first.findings
    assert [o.status for o in second.outcomes] == [CheckStatus.RAN]

    # Same template content under another stack name: cached, but reported for that stack.
    twin = replace(orders.stacks[0], display_name="Staging/Orders")
    [twin_error] = [f for f in run_cfn_lint([twin], region="eu-west-1", cache=cache).findings
                    if f.rule_id == "E3034"]
    assert len(count_lints) == 2
    assert twin_error.stack == "Staging/Orders" and twin_error.construct_path == "Prod/Orders/Queue"

    # Another region is another question for cfn-lint.
    run_cfn_lint(orders.stacks[:1], region="us-east-1", cache=cache)
    assert len(count_lints) == 3


@pytest.mark.slow
def test_changing_one_template_relints_only_that_one(data_dir, make_stack, tmp_path, count_lints):
    for name in ("a", "b"):
        shutil.copy(data_dir / "redundant_depends_on.template.json", tmp_path / f"{name}.template.json")
    (tmp_path / "b.template.json").write_text(
        (tmp_path / "b.template.json").read_text().replace('"Queue": {', '"Queue": {"Properties": {"DelaySeconds": 9000},', 1))
    cache = ResultCache(tmp_path / "cache")
    stacks = [make_stack(tmp_path / "a.template.json", "A"), make_stack(tmp_path / "b.template.json", "B")]
    run_cfn_lint(stacks, region=None, cache=cache)
    # a and b differed, so both were linted; identical twins would have been linted once.
    assert sorted(count_lints) == ["a.template.json", "b.template.json"]

    (tmp_path / "a.template.json").write_text(
        (tmp_path / "a.template.json").read_text().replace('"Queue": {', '"Queue": {"Properties": {"DelaySeconds": 901},', 1))
    stacks = [make_stack(tmp_path / "a.template.json", "A"), make_stack(tmp_path / "b.template.json", "B")]
    report = run_cfn_lint(stacks, region=None, cache=cache)
    assert sorted(count_lints) == ["a.template.json", "a.template.json", "b.template.json"]
    assert {(f.stack, f.rule_id) for f in report.findings} == {("A", "E3034"), ("B", "E3034")}


@pytest.mark.slow
def test_identical_templates_are_linted_once(data_dir, make_stack, count_lints):
    template = data_dir / "orders_assembly" / "assembly-Prod" / "ProdOrders525171E2.template.json"
    report = run_cfn_lint([make_stack(template, "Staging/Orders"), make_stack(template, "Prod/Orders")], region=None)
    assert count_lints == ["ProdOrders525171E2.template.json"]
    assert {f.stack for f in by_rule(report, "E3034")} == {"Staging/Orders", "Prod/Orders"}


def test_a_crashing_linter_gives_unknown_and_a_finding_not_an_exception(orders, monkeypatch, tmp_path):
    def explode(self, template, region):
        raise RuntimeError("schema patch failed\ntraceback noise")

    monkeypatch.setattr(cfn_lint._Linters, "lint", explode)
    cache = ResultCache(tmp_path)
    report = run_cfn_lint(orders.stacks, region="eu-west-1", cache=cache)

    [outcome] = report.outcomes
    assert (outcome.check, outcome.status, outcome.required) == ("cfn-lint", CheckStatus.UNKNOWN, True)
    assert "RuntimeError: schema patch failed" in outcome.reason and "traceback noise" not in outcome.reason
    failed = {f.stack: f for f in report.findings}
    assert set(failed) == {"Prod/Orders", "Prod/Orders/Archive"}
    for stack in orders.stacks:
        finding = failed[stack.display_name]
        assert (finding.rule_id, finding.source, finding.severity) == (ANALYZER_FAILED, Source.CDKCHECK, Severity.WARNING)
        assert str(stack.template.path) in finding.message and "schema patch failed" in finding.message
    assert not any(tmp_path.rglob("*.json"))  # failures are never cached


def test_cfn_lint_failing_to_start_is_unknown(orders, monkeypatch):
    def broken(self, ignored):
        raise ImportError("No module named 'cfnlint.rules'")

    monkeypatch.setattr(cfn_lint._Linters, "__init__", broken)
    report = run_cfn_lint(orders.stacks, region=None)
    assert report.outcomes[0].status is CheckStatus.UNKNOWN
    assert "failed to start" in report.outcomes[0].reason
    assert [f.rule_id for f in report.findings] == [ANALYZER_FAILED, ANALYZER_FAILED]


def test_cfn_lint_missing_is_unknown(orders, monkeypatch):
    monkeypatch.setattr(cfn_lint, "_installed_version", lambda: None)
    report = run_cfn_lint(orders.stacks, region=None)
    assert report.outcomes[0].status is CheckStatus.UNKNOWN and report.outcomes[0].required
    assert "not installed" in report.outcomes[0].reason


@pytest.mark.slow
def test_a_region_cfn_lint_does_not_know_falls_back_and_says_so(orders):
    report = run_cfn_lint(orders.stacks[:1], region="xx-future-1")
    [outcome] = report.outcomes
    assert outcome.status is CheckStatus.RAN
    assert "xx-future-1" in outcome.reason and "us-east-1" in outcome.reason
    assert by_rule(report, "E3034")


def test_match_paths_split_into_logical_id_and_property_path():
    assert cfn_lint._split_path(["Resources", "Db", "Properties", "Tags", 0, "Key"]) == ("Db", "Properties/Tags/0/Key")
    assert cfn_lint._split_path(["Resources", "Db"]) == ("Db", None)
    assert cfn_lint._split_path(["Outputs", "Url", "Value"]) == (None, "Outputs/Url/Value")
    assert cfn_lint._split_path([]) == (None, None)
