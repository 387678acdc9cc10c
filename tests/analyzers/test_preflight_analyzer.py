"""The cdk-preflight pack run by cloudformation-validate: the installed packages as themselves."""

from __future__ import annotations

import subprocess

from importlib import metadata

import pytest

from cdkcheck.analyzers import ANALYZER_FAILED, preflight
from cdkcheck.analyzers.cache import ResultCache
from cdkcheck.analyzers.preflight import Engines, PackUnavailable, load_pack, run_preflight
from cdkcheck.config import EnvironmentConfig
from cdkcheck.engine.policy import apply_policy, preflight_advisory
from cdkcheck.model import CheckStatus, Severity, Source


@pytest.fixture
def v1(make_stack, data_dir):
    return make_stack(data_dir / "preflight" / "aurora-serverless-v1.template.json")


@pytest.fixture
def v2(make_stack, data_dir):
    return make_stack(data_dir / "preflight" / "aurora-serverless-v2.template.json", display_name="Fixed")


def test_the_pack_is_read_from_the_installed_wheel_without_importing_it():
    import sys

    pack = load_pack()
    assert pack.version == metadata.version("cdk-preflight")
    assert pack.engine_version == metadata.version("cloudformation-validate")
    assert len(pack.rules) > 3000 and pack.libs
    assert {r.severity for r in pack.rules} == {"ERROR", "WARN"}
    retired = [r for r in pack.rules if r.retired]
    assert retired and not set(retired) & set(pack.active)
    # Data only: no aws-cdk-lib/Node. Asked in a fresh interpreter, since other tests in this worker may import jsii.
    probe = ("import sys; from cdkcheck.analyzers.preflight import load_pack; load_pack(); "
             "print('cdk_preflight' in sys.modules or 'jsii' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_rules_are_pruned_to_the_resource_types_present_keeping_the_any_type_ones():
    pack = load_pack()
    rds = pack.for_types({"AWS::RDS::DBCluster"})
    assert 0 < len(rds) < len(pack.active) / 10
    assert all("AWS::RDS::DBCluster" in r.resource_types or "*" in r.resource_types for r in rds)
    assert {r.id for r in pack.active if "*" in r.resource_types} <= {r.id for r in rds}
    assert pack.for_types(None) == pack.active


@pytest.mark.slow
def test_an_error_rule_and_a_doc_only_warning_on_the_failing_template_and_nothing_on_the_fixed_one(v1, v2):
    report = run_preflight([v1, v2], region="us-east-1")

    assert [o.status for o in report.outcomes] == [CheckStatus.RAN]
    assert "cdk-preflight 1.9.1" in report.outcomes[0].reason
    by_rule = {f.rule_id: f for f in report.findings}
    assert set(by_rule) == {"pf-rds-engine-mode-serverless-retired", "pf-cloudfront-acm-cert-region"}
    retired = by_rule["pf-rds-engine-mode-serverless-retired"]
    assert retired.source is Source.PREFLIGHT and retired.severity is Severity.ERROR
    assert (retired.stack, retired.logical_id, retired.property_path) == ("Jobs", "Cluster", "Properties/EngineMode")
    assert "Serverless v1" in retired.message and retired.fix and "https://docs.aws.amazon.com/" in retired.fix
    assert retired.location.line == 7 and retired.location.kind == "template"
    assert by_rule["pf-cloudfront-acm-cert-region"].severity is Severity.WARNING
    assert not any(f.stack == "Fixed" for f in report.findings)

    decided = {f.rule_id: f for f in apply_policy(report.findings, EnvironmentConfig(name="e"))}
    assert decided["pf-rds-engine-mode-serverless-retired"].blocking  # ERROR: a reproduced deploy failure
    assert not decided["pf-cloudfront-acm-cert-region"].blocking  # WARN (doc-only): advice
    advisory = apply_policy(report.findings, EnvironmentConfig(name="e", preflight="advisory"))
    assert not any(f.blocking for f in advisory)


@pytest.mark.slow
def test_results_are_cached_per_template_and_versions_so_a_rerun_builds_no_engine(v1, tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    first = run_preflight([v1], region="us-east-1", cache=cache)

    def no_engine(*args, **kwargs):
        raise AssertionError("an engine was built for a cached template")

    monkeypatch.setattr(Engines, "engine_for", no_engine)
    again = run_preflight([v1], region="us-east-1", cache=cache)
    assert [(f.rule_id, f.logical_id, f.message) for f in again.findings] == [(f.rule_id, f.logical_id, f.message) for f in first.findings]
    assert [o.status for o in again.outcomes] == [CheckStatus.RAN]
    # Another region is another entry: region-dependent rules may answer differently.
    [elsewhere] = run_preflight([v1], region="eu-west-1", cache=cache).outcomes
    assert elsewhere.status is CheckStatus.UNKNOWN and "engine was built" in elsewhere.reason


def test_a_pack_that_cannot_be_loaded_is_a_required_unknown_check_never_a_pass(v1, monkeypatch):
    def missing():
        raise PackUnavailable("cdk-preflight is not installed in this environment")

    monkeypatch.setattr(preflight, "load_pack", missing)
    report = run_preflight([v1], region="us-east-1")
    [outcome] = report.outcomes
    assert outcome.status is CheckStatus.UNKNOWN and outcome.required
    assert "not installed" in outcome.reason
    assert [f.rule_id for f in report.findings] == [ANALYZER_FAILED]
    assert not run_preflight([v1], region="us-east-1", required=False).outcomes[0].required


@pytest.mark.slow
def test_a_template_the_engine_cannot_read_costs_only_its_own_results(v1, make_stack, tmp_path):
    broken = tmp_path / "Broken.template.json"
    broken.write_text('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}')
    stack = make_stack(broken, display_name="Broken")
    broken.write_text("{ not json")  # the engine reads the file itself
    report = run_preflight([v1, stack], region="us-east-1")
    [outcome] = report.outcomes
    assert outcome.status is CheckStatus.UNKNOWN and "Broken.template.json" in outcome.reason
    assert {f.rule_id for f in report.findings if f.stack == "Jobs"} >= {"pf-rds-engine-mode-serverless-retired"}
    assert [f.rule_id for f in report.findings if f.stack == "Broken"] == [ANALYZER_FAILED]


def test_every_demoted_rule_is_an_error_rule_of_the_installed_pack_with_corpus_evidence():
    rules = {r.id: r for r in load_pack().rules}
    assert preflight_advisory()
    for rule_id, entry in preflight_advisory().items():
        assert rule_id in rules, f"{rule_id} is not in cdk-preflight {load_pack().version}"
        assert rules[rule_id].severity == "ERROR" and not rules[rule_id].retired, rule_id
        assert len(entry.reason) > 30 and "integ" in entry.evidence, rule_id


def test_a_template_with_a_transform_is_checked_with_every_rule(make_stack, data_dir, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(Engines, "engine_for", lambda self, pack, types, region, account: seen.append(types))
    sam = tmp_path / "Sam.template.json"
    sam.write_text('{"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": '
                   '"AWS::Serverless::Function", "Properties": {"InlineCode": "x", "Handler": "index.h", '
                   '"Runtime": "python3.12"}}}}')
    run_preflight([make_stack(data_dir / "preflight" / "aurora-serverless-v2.template.json")], region="us-east-1")
    run_preflight([make_stack(sam, display_name="Sam")], region="us-east-1")
    assert seen == [frozenset({"AWS::RDS::DBCluster", "AWS::CloudFront::Distribution"}), None]
