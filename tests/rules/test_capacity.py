"""The subnet IP capacity model (cdkcheck.template.subnet_capacity) and how CDKC-V5 reads it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import given, strategies as st

from cdkcheck.template.subnet_capacity import SubnetKey, _spread, subnet_capacity, usable_addresses
from cdkcheck.facts.interface import OfflineFacts
from cdkcheck.model import Severity, Stack
from cdkcheck_rules.vpc import subnet_capacity as vpc_subnet_capacity
from cdkcheck.ruleset import EnvironmentInfo, RuleContext, Undetermined, Violation
from rule_fixture_cases import FIXTURES, stack_from_template


def _stack(tmp_path: Path, name: str, resources: dict, *, parameters=None, outputs=None, conditions=None,
           parent: Stack | None = None, logical_id: str | None = None) -> Stack:
    body = {"Resources": resources}
    for key, value in (("Parameters", parameters), ("Outputs", outputs), ("Conditions", conditions)):
        if value:
            body[key] = value
    path = tmp_path / f"{name.replace('/', '_')}.template.json"
    path.write_text(json.dumps(body))
    stack = stack_from_template(path, name=name)
    if parent is not None:
        from dataclasses import replace
        stack = replace(stack, artifact_id=f"{parent.artifact_id}/{logical_id}", parent=parent.display_name)
    return stack


def _subnet(cidr, az="us-east-1a"):
    return {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": cidr, "AvailabilityZone": az}}


def _service(subnets, desired=1, maximum=None):
    deployment = {"MaximumPercent": maximum} if maximum is not None else {}
    return {"Type": "AWS::ECS::Service", "Properties": {
        "DesiredCount": desired, "DeploymentConfiguration": deployment,
        "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": subnets}}}}


def _v5(stacks, **options):
    ctx = RuleContext(environment=EnvironmentInfo("test", None, "us-east-1"), stacks=tuple(stacks),
                      facts=OfflineFacts(), options={**vpc_subnet_capacity.DEFAULT_OPTIONS, **options})
    return list(vpc_subnet_capacity.RULE.evaluate(ctx))


def test_usable_addresses_keep_five_for_aws():
    assert usable_addresses(28) == 11
    assert usable_addresses(24) == 251
    assert usable_addresses(16) == 65531


def test_ecs_default_maximum_percent_is_200_and_spread_rounds_up(tmp_path):
    stack = _stack(tmp_path, "S", {"A": _subnet("10.0.0.0/24"), "B": _subnet("10.0.1.0/24", "us-east-1b"),
                                   "Svc": _service([{"Ref": "A"}, {"Ref": "B"}], desired=3)})
    report = subnet_capacity([stack])
    demand = report.subnet(SubnetKey("S", "A")).demands[0]
    assert demand.count == 3  # 3 tasks x 200% = 6 over 2 subnets
    assert "3 tasks x 200% maximumPercent = 6 ENIs over 2 subnets, ceil(6/2) = 3" == demand.why


@given(peak=st.integers(1, 500), subnets=st.integers(1, 6))
def test_spread_share_covers_the_total_and_never_more_than_one_extra(peak, subnets):
    shares = [count for count, _ in _spread(peak, "x")(subnets)]
    assert len(shares) == subnets
    assert sum(shares) >= peak
    assert all(share == math.ceil(peak / subnets) for share in shares)
    assert all((share - 1) * subnets < peak for share in shares)


def test_capacity_arithmetic_and_evidence(tmp_path):
    fixture = FIXTURES / "CDKC-V5" / "fail.template.json"
    report = subnet_capacity([stack_from_template(fixture)])
    subnet = report.subnet(SubnetKey("fail", "PrivateA"))
    assert (subnet.capacity, subnet.total, subnet.headroom) == (11, 12, -1)
    evidence = subnet.as_evidence()
    assert [d["count"] for d in evidence["demand"]] == [8, 3, 1]
    assert evidence["demand"][0]["construct_path"] == "App/Web/Service"
    assert evidence["arithmetic"].endswith("= 12 needed; 11 available (/28: 16 - 5 reserved by AWS)")


def test_import_from_a_stack_outside_the_selection_is_undetermined_not_guessed(tmp_path):
    stack = _stack(tmp_path, "Data", {"Svc": _service([{"Fn::ImportValue": "Network:Private1"}], desired=50)})
    outcomes = _v5([stack])
    assert outcomes and all(isinstance(o, Undetermined) for o in outcomes)
    assert "export Network:Private1 is not among the checked stacks" in outcomes[0].reason


def test_nested_stack_parameters_are_followed_into_the_parent(tmp_path):
    parent = _stack(tmp_path, "Parent", {
        "Small": _subnet("10.0.0.0/28"),
        "Child": {"Type": "AWS::CloudFormation::Stack",
                  "Properties": {"Parameters": {"SubnetParam": {"Ref": "Small"}}}},
    })
    child = _stack(tmp_path, "Parent/Child", {"Svc": _service([{"Ref": "SubnetParam"}], desired=6)},
                   parameters={"SubnetParam": {"Type": "String"}}, parent=parent, logical_id="Child")
    outcomes = _v5([parent, child])
    assert [type(o) for o in outcomes] == [Violation]
    assert outcomes[0].logical_id == "Small" and "needs room for 12 addresses but has 11" in outcomes[0].message


def test_capacity_from_fn_cidr_bits_when_the_block_is_deploy_time(tmp_path):
    stack = _stack(tmp_path, "S", {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "A": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"},
            "CidrBlock": {"Fn::Select": [0, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 4, 4]}]}}},
    })
    subnet = subnet_capacity([stack]).subnet(SubnetKey("S", "A"))
    assert subnet.cidr_block is None and subnet.capacity == 11
    assert "block is chosen at deploy" in subnet.capacity_source


def test_lambdas_share_an_interface_per_security_group_set(tmp_path):
    def function(groups):
        return {"Type": "AWS::Lambda::Function",
                "Properties": {"VpcConfig": {"SubnetIds": [{"Ref": "A"}], "SecurityGroupIds": groups}}}
    stack = _stack(tmp_path, "S", {"A": _subnet("10.0.0.0/24"), "F1": function(["sg-1"]), "F2": function(["sg-1"]),
                                   "F3": function(["sg-2"])})
    demands = subnet_capacity([stack]).subnet(SubnetKey("S", "A")).demands
    assert sorted(d.logical_id for d in demands) == ["F1", "F3"]
    assert "shared with F2" in next(d.why for d in demands if d.logical_id == "F1")


def test_false_condition_is_not_counted_and_unknown_condition_is_undetermined(tmp_path):
    conditions = {"Never": {"Fn::Equals": ["a", "b"]}, "Maybe": {"Fn::Equals": [{"Ref": "Flag"}, "on"]}}
    resources = {"A": _subnet("10.0.0.0/28"), "Base": _service([{"Ref": "A"}], desired=5),
                 "Off": {**_service([{"Ref": "A"}], desired=5), "Condition": "Never"}}
    stack = _stack(tmp_path, "S", resources, conditions=conditions, parameters={"Flag": {"Type": "String"}})
    assert _v5([stack]) == []  # 10 of 11: the service under a false condition is never created
    resources["Later"] = {**_service([{"Ref": "A"}], desired=1), "Condition": "Maybe"}
    stack = _stack(tmp_path, "S", resources, conditions=conditions, parameters={"Flag": {"Type": "String"}})
    outcomes = _v5([stack])
    assert [type(o) for o in outcomes] == [Undetermined]
    assert "condition(s) Maybe" in outcomes[0].reason


def test_existing_subnets_take_the_given_free_count_and_are_left_to_the_live_check(tmp_path):
    stack = _stack(tmp_path, "S", {"Svc": _service(["subnet-0abc"], desired=4)})
    report = subnet_capacity([stack], available_ips={"subnet-0abc": 6})
    existing = report.subnet(SubnetKey(subnet_id="subnet-0abc"))
    assert report.existing_subnet_ids == ("subnet-0abc",)
    assert (existing.capacity, existing.total, existing.headroom) == (6, 8, -2)
    assert subnet_capacity([stack]).subnet(SubnetKey(subnet_id="subnet-0abc")).capacity is None
    assert _v5([stack]) == []


def test_alb_subnets_in_one_positional_zone(tmp_path):
    def subnet(index):
        return {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": "vpc-1", "CidrBlock": f"10.0.{index}.0/24",
            "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}}
    stack = _stack(tmp_path, "S", {"A": subnet(0), "B": subnet(1), "LB": {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{"Ref": "A"}, {"Ref": "B"}]}}})
    outcomes = _v5([stack])
    assert [o.logical_id for o in outcomes] == ["LB"] and "all in AZ #1" in outcomes[0].message


def test_headroom_option_turns_a_tight_fit_into_a_warning(tmp_path):
    stack = _stack(tmp_path, "S", {"A": _subnet("10.0.0.0/28"), "Svc": _service([{"Ref": "A"}], desired=5)})
    assert _v5([stack]) == []
    outcomes = _v5([stack], free_ip_headroom=2)
    assert [(type(o), o.severity) for o in outcomes] == [(Violation, Severity.WARNING)]


def test_courtcase_like_split_resolves_exports_across_stacks():
    case = FIXTURES / "CDKC-V5" / "fail-cross-stack"
    stacks = [stack_from_template(p) for p in sorted(case.glob("*.template.json"))]
    report = subnet_capacity(stacks)
    subnet = report.subnet(SubnetKey("Network", "PrivateA"))
    assert {d.stack for d in subnet.demands} == {"Data"}
    assert subnet.total == 12 and not report.unknown
