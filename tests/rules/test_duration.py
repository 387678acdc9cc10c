"""The deploy-duration estimate (cdkcheck.template.deploy_duration) and CDKC-D1."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cdkcheck.template.deploy_duration import (
    CATALOG, MULTI_AZ_RDS, QUICK, STACK_OVERHEAD, NESTED_STACK_OVERHEAD, creation_time, estimate_environment,
)
from cdkcheck.facts.interface import OfflineFacts
from cdkcheck.model import Severity
from cdkcheck_rules.stack import deploy_duration
from cdkcheck.ruleset import EnvironmentInfo, RuleContext
from rule_fixture_cases import stack_from_template

DOMAIN = CATALOG["AWS::OpenSearchService::Domain"]
DB = CATALOG["AWS::RDS::DBInstance"]
CACHE = CATALOG["AWS::ElastiCache::ReplicationGroup"]


def _stack(tmp_path: Path, name: str, resources: dict, outputs=None):
    path = tmp_path / f"{name.replace('/', '_')}.template.json"
    path.write_text(json.dumps({"Resources": resources, **({"Outputs": outputs} if outputs else {})}))
    return stack_from_template(path, name=name)


def _r(kind, **properties):
    return {"Type": kind, "Properties": properties}


def test_multi_az_and_custom_resources_have_their_own_times():
    from cdkcheck.model import Resource
    assert creation_time(Resource("D", "AWS::RDS::DBInstance", {"MultiAZ": "true"})) == MULTI_AZ_RDS
    assert creation_time(Resource("C", "Custom::Thing", {})).upper == 15
    assert creation_time(Resource("Q", "AWS::SQS::Queue", {})) == QUICK


def test_slowest_chain_follows_ref_getatt_sub_and_depends_on(tmp_path):
    stack = _stack(tmp_path, "S", {
        "Db": _r("AWS::RDS::DBInstance"),
        "Search": {**_r("AWS::OpenSearchService::Domain", Tag={"Fn::Sub": "${Db.Endpoint.Address}"})},
        "Cache": {**_r("AWS::ElastiCache::ReplicationGroup"), "DependsOn": "Search"},
        "Queue": _r("AWS::SQS::Queue", Name={"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        "Lonely": _r("AWS::OpenSearchService::Domain"),
    })
    estimate = estimate_environment([stack])
    (only,) = estimate.stacks
    assert [step.logical_id for step in only.critical_path] == ["Db", "Search", "Cache"]
    assert only.typical == pytest.approx(DB.typical + DOMAIN.typical + CACHE.typical + STACK_OVERHEAD.typical)
    assert only.upper == pytest.approx(DB.upper + DOMAIN.upper + CACHE.upper + STACK_OVERHEAD.upper)


def test_sub_variables_shadow_resource_names(tmp_path):
    stack = _stack(tmp_path, "S", {
        "Db": _r("AWS::RDS::DBInstance"),
        "Search": _r("AWS::OpenSearchService::Domain", Tag={"Fn::Sub": ["${Db}", {"Db": "literal"}]}),
    })
    (only,) = estimate_environment([stack]).stacks
    assert only.typical == pytest.approx(max(DB.typical, DOMAIN.typical) + STACK_OVERHEAD.typical)


def test_nested_stack_takes_as_long_as_its_template(tmp_path):
    parent = _stack(tmp_path, "P", {"Child": _r("AWS::CloudFormation::Stack"), "Q": _r("AWS::SQS::Queue")})
    child = replace(_stack(tmp_path, "P/Child", {"Db": _r("AWS::RDS::DBInstance")}),
                    artifact_id="P/Child", parent="P")
    estimate = estimate_environment([parent, child])
    assert [s.stack for s in estimate.stacks] == ["P"]  # nested stacks fold into their parent
    expected = DB.typical + NESTED_STACK_OVERHEAD.typical + STACK_OVERHEAD.typical
    assert estimate.stacks[0].typical == pytest.approx(expected)


def test_stacks_wait_for_the_exports_they_import(tmp_path):
    export = {"O": {"Value": "x", "Export": {"Name": "A:out"}}}
    a = _stack(tmp_path, "A", {"Db": _r("AWS::RDS::DBInstance")}, outputs=export)
    b = _stack(tmp_path, "B", {"Search": _r("AWS::OpenSearchService::Domain")})
    c = _stack(tmp_path, "C", {"Cache": _r("AWS::ElastiCache::ReplicationGroup", Tag={"Fn::ImportValue": "A:out"})})
    estimate = estimate_environment([c, b, a])
    order = [s.stack for s in estimate.stacks]
    assert order.index("A") < order.index("C")
    times = {s.stack: s.typical for s in estimate.stacks}
    assert estimate.total(1) == pytest.approx(sum(times.values()))  # cdk deploy default: one at a time
    assert estimate.total(0) == pytest.approx(max(times["A"] + times["C"], times["B"]))
    assert estimate.critical_stacks == ("A", "C")
    assert estimate.total(2) == pytest.approx(max(times["A"] + times["C"], times["B"]))


def test_reference_cycles_do_not_hang_or_crash(tmp_path):
    stack = _stack(tmp_path, "S", {"A": {**_r("AWS::SQS::Queue"), "DependsOn": "B"},
                                   "B": {**_r("AWS::SQS::Queue"), "DependsOn": "A"}})
    assert estimate_environment([stack]).stacks[0].typical > 0


def test_summary_names_the_figures_and_the_slowest_resource(tmp_path):
    stack = _stack(tmp_path, "S", {"Db": {**_r("AWS::RDS::DBInstance", MultiAZ=True),
                                          "Metadata": {"aws:cdk:path": "S/Db/Resource"}}})
    summary = estimate_environment([stack]).summary()
    assert summary.startswith("deploy estimate: ~26 min typical, up to 42 min (one stack at a time")
    assert "slowest: S/Db/Resource (AWS::RDS::DBInstance, 25-40 min)" in summary


def _d1(stacks, limit, **options):
    ctx = RuleContext(environment=EnvironmentInfo("test", None, "us-east-1", max_deploy_minutes=limit),
                      stacks=tuple(stacks), facts=OfflineFacts(),
                      options={**deploy_duration.DEFAULT_OPTIONS, **options})
    return list(deploy_duration.RULE.evaluate(ctx))


def test_d1_compares_the_typical_figure_and_can_be_made_blocking(tmp_path):
    stack = _stack(tmp_path, "S", {"Db": _r("AWS::RDS::DBInstance", MultiAZ=True)})  # 25-40 min + overhead
    assert _d1([stack], 60) == []
    assert _d1([stack], 30) == []  # 25.5 typical fits
    assert _d1([stack], 30, use_upper_bound=True)[0].severity is None  # 42 upper does not
    (blocking,) = _d1([stack], 20, blocking=True)
    assert blocking.severity is Severity.ERROR and blocking.logical_id == "Db"
    assert blocking.evidence["typical_minutes"] == pytest.approx(25.5)
