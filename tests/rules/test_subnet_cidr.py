"""CDKC-V4 beyond its fixtures: existing VPCs and what is left to cfn-lint."""

from __future__ import annotations

import json

from cdkcheck.facts.interface import OfflineFacts
from cdkcheck_rules.vpc import subnet_cidr as vpc_subnet_cidr
from cdkcheck.ruleset import EnvironmentInfo, RuleContext, Undetermined, Violation
from rule_fixture_cases import stack_from_template


def _stack(tmp_path, name, resources):
    path = tmp_path / f"{name}.template.json"
    path.write_text(json.dumps({"Resources": resources}))
    return stack_from_template(path)


def _subnet(cidr, vpc):
    return {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": vpc, "CidrBlock": cidr}}


def _v4(stacks):
    ctx = RuleContext(environment=EnvironmentInfo("t", None, "us-east-1"), stacks=tuple(stacks), facts=OfflineFacts())
    return list(vpc_subnet_cidr.RULE.evaluate(ctx))


def test_subnets_of_an_existing_vpc_are_compared_across_stacks_and_the_rest_is_undetermined(tmp_path):
    one = _stack(tmp_path, "One", {"A": _subnet("10.0.0.0/24", "vpc-0abc")})
    two = _stack(tmp_path, "Two", {"B": _subnet("10.0.0.0/25", "vpc-0abc"), "C": _subnet("10.0.1.0/24", "vpc-0abc")})
    outcomes = _v4([one, two])
    assert [(type(o), o.logical_id) for o in outcomes] == [(Undetermined, "A"), (Violation, "B")]
    assert "existing VPC vpc-0abc" in outcomes[0].reason


def test_literal_overlap_and_outside_in_one_template_are_left_to_cfn_lint(tmp_path):
    stack = _stack(tmp_path, "S", {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "A": _subnet("10.0.0.0/24", {"Ref": "Vpc"}),
        "B": _subnet("10.0.0.0/25", {"Ref": "Vpc"}),  # E3060
        "C": _subnet("10.9.0.0/24", {"Ref": "Vpc"}),  # E3059
    })
    assert _v4([stack]) == []
