"""One finding per problem across cfn-lint, CDK's validation report, the cdk-preflight pack and checkov."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cdkcheck.config import EnvironmentConfig
from cdkcheck.engine.merge import cause, merge_duplicates, same_problem
from cdkcheck.engine.policy import apply_policy
from cdkcheck.model import Finding, Severity, Source, Suppression


def finding(source: Source, rule_id: str, *, severity=Severity.ERROR, path="Properties/VpcId", logical_id="Sg",
            stack="Shop", message="m") -> Finding:
    return Finding(rule_id=rule_id, source=source, severity=severity, message=message, stack=stack,
                   logical_id=logical_id, property_path=path)


def test_cfn_lint_and_cdks_report_of_the_same_rule_on_the_same_property_are_one_blocking_finding():
    lint = finding(Source.CFN_LINT, "E1151", message="'vpc-xxxx' does not match")
    cdk = finding(Source.CDK, "CloudFormation-Validate::E1151", severity=Severity.WARNING,
                  message="VpcId is not a VPC id")
    [merged] = merge_duplicates(apply_policy([cdk, lint], EnvironmentConfig(name="e")))
    assert merged.source is Source.CFN_LINT and merged.blocking  # the strongest decision is kept
    assert merged.evidence["also_reported_by"] == [
        {"source": "cdk", "rule_id": "CloudFormation-Validate::E1151", "message": "VpcId is not a VPC id",
         "blocking": False}]


def test_the_engines_fatal_schema_ids_are_cfn_lints_errors_and_pack_ids_match_whoever_ran_the_pack():
    assert cause(finding(Source.CDK, "CloudFormation-Validate::F3034")) == cause(finding(Source.CFN_LINT, "E3034"))
    assert cause(finding(Source.CFN_LINT, "W3005")) != cause(finding(Source.CFN_LINT, "E3005"))
    assert cause(finding(Source.CDK, "cdk-preflight::pf-x")) == cause(finding(Source.PREFLIGHT, "pf-x"))
    assert cause(finding(Source.CDKCHECK, "CDKC-R4")) is None
    pack = finding(Source.PREFLIGHT, "pf-rds-engine-mode-serverless-retired", path="Properties/EngineMode")
    app = finding(Source.CDK, "cdk-preflight::pf-rds-engine-mode-serverless-retired", path="Properties.EngineMode")
    [merged] = merge_duplicates([app, pack])
    assert merged.source is Source.PREFLIGHT  # same blocking and severity: the source order decides


def test_other_properties_resources_stacks_and_causes_stay_separate():
    base = finding(Source.CFN_LINT, "E3012")
    others = [
        finding(Source.CDK, "CloudFormation-Validate::E3012", path="Properties/GroupName"),
        finding(Source.CDK, "CloudFormation-Validate::E3012", logical_id="Other"),
        finding(Source.CDK, "CloudFormation-Validate::E3012", stack="Other"),
        finding(Source.CDK, "CloudFormation-Validate::E3002"),
        finding(Source.CHECKOV, "CKV_AWS_23"),
        finding(Source.CFN_LINT, "E1001", logical_id=None),  # template-level: never merged
        finding(Source.CDK, "CloudFormation-Validate::E1001", logical_id=None),
    ]
    assert merge_duplicates([base, *others]) == [base, *others]


def test_a_suppressed_report_does_not_hide_an_unsuppressed_one():
    acknowledged = replace(finding(Source.CDK, "CloudFormation-Validate::E1151"),
                           suppression=Suppression(reason="known", origin="acknowledge"))
    lint = finding(Source.CFN_LINT, "E1151")
    [merged] = merge_duplicates(apply_policy([acknowledged, lint], EnvironmentConfig(name="e")))
    assert merged.source is Source.CFN_LINT and merged.suppression is None and merged.blocking
    assert merged.evidence["also_reported_by"][0]["source"] == "cdk"


def test_a_cdkcheck_rule_and_the_pack_rule_for_the_same_constraint_on_one_resource_are_one_finding():
    rule = finding(Source.CDKCHECK, "CDKC-R5", logical_id="Db", path=None, message="Iops on gp3 below 400 GiB")
    pack = finding(Source.PREFLIGHT, "pf-rds-gp3-iops-storage-threshold", logical_id="Db", path="Properties/Iops")
    elsewhere = replace(pack, logical_id="OtherDb")
    unrelated = finding(Source.PREFLIGHT, "pf-rds-engine-mode-serverless-retired", logical_id="Db")
    merged = merge_duplicates(apply_policy([pack, rule, elsewhere, unrelated], EnvironmentConfig(name="e")))
    assert [(f.rule_id, f.logical_id) for f in merged] == [
        ("CDKC-R5", "Db"), ("pf-rds-gp3-iops-storage-threshold", "OtherDb"),
        ("pf-rds-engine-mode-serverless-retired", "Db")]
    assert merged[0].evidence["also_reported_by"][0]["rule_id"] == "pf-rds-gp3-iops-storage-threshold"


@pytest.mark.slow
def test_each_pack_rule_named_as_the_same_problem_fires_on_that_rules_fail_fixtures():
    from cdkcheck.analyzers.preflight import Engines, run_preflight
    from cdkcheck.app.assembly import load_template
    from cdkcheck.model import Stack

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
    stacks = [Stack(artifact_id=p.stem, stack_name=p.stem, display_name=f"{rule_id}/{p.name}",
                    account="123456789012", region="us-east-1", template=load_template(p))
              for rule_id in same_problem() for p in sorted((fixtures / rule_id).glob("fail*.template.json"))]
    report = run_preflight(stacks, region="us-east-1", engines=Engines())
    fired = {(f.stack.split("/")[0], f.rule_id) for f in report.findings}
    for rule_id, pack_ids in same_problem().items():
        for pack_id in pack_ids:
            assert (rule_id, pack_id) in fired, f"{pack_id} no longer fires on {rule_id}'s fail fixtures"


@pytest.mark.slow
def test_through_the_cli_cfn_lint_and_cdks_own_report_of_one_problem_are_one_finding(tmp_path):
    from test_blocking_policy import run_cli

    assembly = Path(__file__).resolve().parent / "analyzers" / "data" / "orders_assembly"
    _, report, _ = run_cli("--assembly", str(assembly), "--offline", cwd=tmp_path)
    [environment] = report["environments"]
    on_queue = [f for f in environment["findings"] if f["logical_id"] == "Queue"
                and f["property_path"] == "Properties/VisibilityTimeout"]
    [too_long] = on_queue  # cfn-lint's E3034 and the validation report's F3034: one finding
    assert (too_long["source"], too_long["rule_id"], too_long["blocking"]) == ("cfn-lint", "E3034", True)
    assert [(a["source"], a["rule_id"]) for a in too_long["evidence"]["also_reported_by"]] == [
        ("cdk", "CloudFormation-Validate::F3034")]


def test_one_tool_reporting_a_rule_twice_at_one_place_is_two_problems():
    first = finding(Source.CFN_LINT, "E3003", path="Properties", message="'Engine' is a required property")
    second = finding(Source.CFN_LINT, "E3003", path="Properties", message="'Port' is a required property")
    cdk = finding(Source.CDK, "CloudFormation-Validate::F3003", path="Properties")
    assert merge_duplicates([first, second, cdk]) == [first, second, cdk]


def test_a_placeholder_id_and_the_pattern_checks_that_reject_it_are_one_finding():
    # The placeholder finding names the property as written (VpcId, SubnetIds[1]); cfn-lint as a template path.
    placeholder = finding(Source.CDKCHECK, "CDKC-PLACEHOLDER-VALUE", path="SubnetIds[1]",
                          message="SubnetIds[1] = 'subnet-xxxx': left as the sample code wrote it")
    lint = finding(Source.CFN_LINT, "E1151", path="Properties/SubnetIds/1", message="'subnet-xxxx' is not a subnet id")
    cdk = finding(Source.CDK, "CloudFormation-Validate::E1151", severity=Severity.WARNING, path="SubnetIds/1")
    other = finding(Source.CFN_LINT, "E1151", path="Properties/SubnetIds/0")
    merged = merge_duplicates(apply_policy([placeholder, lint, cdk, other], EnvironmentConfig(name="e")))
    assert [f.rule_id for f in merged] == ["CDKC-PLACEHOLDER-VALUE", "E1151"]
    assert {a["rule_id"] for a in merged[0].evidence["also_reported_by"]} == {"E1151", "CloudFormation-Validate::E1151"}
