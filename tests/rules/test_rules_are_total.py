"""CDKC-V4/V5/Q1/D1 and the models under them never raise, whatever the template holds."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings, strategies as st

from cdkcheck.app.assembly import load_template
from cdkcheck.template.subnet_capacity import PLACED_TYPES
from cdkcheck.facts.interface import OfflineFacts
from cdkcheck.model import Stack
from cdkcheck_rules.vpc import default_quotas as capacity_default_quotas
from cdkcheck_rules.stack import deploy_duration
from cdkcheck_rules.vpc import subnet_capacity as vpc_subnet_capacity
from cdkcheck_rules.vpc import subnet_cidr as vpc_subnet_cidr
from cdkcheck.ruleset import EnvironmentInfo, RuleContext, Undetermined, Violation

MINE = (vpc_subnet_cidr.RULE, vpc_subnet_capacity.RULE, capacity_default_quotas.RULE, deploy_duration.RULE)
TYPES = (*PLACED_TYPES, "AWS::EC2::Subnet", "AWS::EC2::VPC", "AWS::EC2::VPCCidrBlock", "AWS::EC2::EIP",
         "AWS::RDS::DBSubnetGroup", "AWS::ElastiCache::SubnetGroup", "AWS::CloudFormation::Stack", "AWS::SQS::Queue")
IDS = ("A", "B", "C", "D")
PROPERTY_NAMES = ("SubnetIds", "Subnets", "SubnetId", "CidrBlock", "VpcId", "AvailabilityZone", "DesiredCount",
                  "DBSubnetGroupName", "CacheSubnetGroupName", "VPCOptions", "ClusterConfig", "MultiAZ",
                  "NetworkConfiguration", "VpcConfig", "Type", "NumCacheClusters", "DeploymentConfiguration",
                  "Ipv4NetmaskLength", "NodeGroupConfiguration", "DBClusterIdentifier", "Parameters")

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.sampled_from(
    ["10.0.0.0/28", "10.0.0.0/8", "10.0.0.5/24", "subnet-1", "vpc-1", "us-east-1a", "application", "", "x"]))
intrinsics = st.sampled_from(IDS + ("AWS::Region", "AWS::NoValue", "Missing")).map(lambda r: {"Ref": r}) | \
    st.sampled_from(IDS).map(lambda r: {"Fn::GetAtt": [r, "CidrBlock"]}) | \
    st.just({"Fn::ImportValue": "Other:Export"}) | \
    st.integers(-1, 5).map(lambda i: {"Fn::Select": [i, {"Fn::GetAZs": ""}]}) | \
    st.integers(-1, 5).map(lambda i: {"Fn::Select": [i, {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}]})
values = st.recursive(scalars | intrinsics,
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(PROPERTY_NAMES + ("AwsvpcConfiguration", "InstanceCount",
                                                                          "ZoneAwarenessEnabled", "MaximumPercent")),
                                        inner, max_size=3),
                      max_leaves=8)
refs = st.sampled_from(IDS).map(lambda r: {"Ref": r})
subnet_lists = st.lists(refs | st.sampled_from(["subnet-1", "x"]) | intrinsics, max_size=3) | intrinsics | scalars
counts = st.integers(-2, 40) | st.sampled_from(["3", "true"]) | intrinsics
cidrs = st.sampled_from(["10.0.0.0/28", "10.0.0.16/28", "10.0.0.0/24", "10.1.0.0/24", "10.0.0.0/8", "10.0.0.0/29",
                         "10.0.0.0/16", "fd00::/64", "bad"]) | intrinsics
zones = st.sampled_from(["us-east-1a", "us-east-1b"]) | intrinsics
shaped = {
    "AWS::EC2::Subnet": st.fixed_dictionaries({"CidrBlock": cidrs, "AvailabilityZone": zones, "VpcId": refs | scalars}),
    "AWS::EC2::VPC": st.fixed_dictionaries({"CidrBlock": cidrs}),
    "AWS::EC2::VPCCidrBlock": st.fixed_dictionaries({"CidrBlock": cidrs, "VpcId": refs}),
    "AWS::ECS::Service": st.fixed_dictionaries({
        "DesiredCount": counts, "DeploymentConfiguration": st.fixed_dictionaries({"MaximumPercent": counts}),
        "NetworkConfiguration": st.fixed_dictionaries({"AwsvpcConfiguration": st.fixed_dictionaries(
            {"Subnets": subnet_lists})})}),
    "AWS::OpenSearchService::Domain": st.fixed_dictionaries({
        "ClusterConfig": st.fixed_dictionaries({"InstanceCount": counts, "ZoneAwarenessEnabled": st.booleans() | intrinsics,
                                                "ZoneAwarenessConfig": st.fixed_dictionaries(
                                                    {"AvailabilityZoneCount": counts})}),
        "VPCOptions": st.fixed_dictionaries({"SubnetIds": subnet_lists})}),
    "AWS::RDS::DBInstance": st.fixed_dictionaries({"DBSubnetGroupName": refs | scalars, "MultiAZ": st.booleans() | intrinsics},
                                                  optional={"DBClusterIdentifier": refs}),
    "AWS::RDS::DBSubnetGroup": st.fixed_dictionaries({"SubnetIds": subnet_lists}),
    "AWS::ElastiCache::SubnetGroup": st.fixed_dictionaries({"SubnetIds": subnet_lists}),
    "AWS::ElastiCache::ReplicationGroup": st.fixed_dictionaries({"CacheSubnetGroupName": refs | scalars,
                                                                 "NumCacheClusters": counts}),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": st.fixed_dictionaries({"Subnets": subnet_lists, "Type": scalars}),
    "AWS::EC2::NatGateway": st.fixed_dictionaries({"SubnetId": refs | intrinsics | scalars}),
    "AWS::Lambda::Function": st.fixed_dictionaries({"VpcConfig": st.fixed_dictionaries(
        {"SubnetIds": subnet_lists, "SecurityGroupIds": st.lists(scalars | refs, max_size=2)})}),
}


@st.composite
def resource(draw):
    kind = draw(st.sampled_from(TYPES))
    if kind in shaped and draw(st.booleans()):
        properties = draw(shaped[kind])
    else:
        properties = draw(st.dictionaries(st.sampled_from(PROPERTY_NAMES), values, max_size=4))
    body = {"Type": kind, "Properties": properties}
    if draw(st.integers(0, 4)) == 0:
        body["DependsOn"] = draw(st.sampled_from(IDS) | st.lists(st.sampled_from(IDS), max_size=2))
    if draw(st.integers(0, 4)) == 0:
        body["Condition"] = draw(st.sampled_from(("Yes", "Unknown", "Missing")))
    return body


resources = st.dictionaries(st.sampled_from(IDS), resource(), min_size=1, max_size=4)

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=resources, second=resources)
def test_rules_yield_outcomes_and_never_raise(tmp_path_factory, first, second):
    directory = tmp_path_factory.mktemp("t")
    stacks = []
    for name, body in (("One", first), ("Two", second)):
        template = {"Resources": body, "Parameters": {"A": {"Type": "String"}},
                    "Conditions": {"Yes": {"Fn::Equals": ["a", "a"]},
                                   "Unknown": {"Fn::Equals": [{"Ref": "A"}, "a"]}},
                    "Outputs": {"O": {"Value": {"Ref": "A"}, "Export": {"Name": "Other:Export"}}}}
        path = directory / f"{name}.template.json"
        path.write_text(json.dumps(template))
        stacks.append(Stack(artifact_id=name, stack_name=name, display_name=name, account=None,
                            region="us-east-1", template=load_template(path)))
    context = RuleContext(environment=EnvironmentInfo("fuzz", None, "us-east-1", max_deploy_minutes=1),
                          stacks=tuple(stacks), facts=OfflineFacts())
    for rule in MINE:
        outcomes = list(rule.evaluate(RuleContext(context.environment, context.stacks, context.facts,
                                                  dict(rule.default_options))))
        assert all(isinstance(o, (Violation, Undetermined)) for o in outcomes)
        event(f"{rule.meta.id}: {sorted({type(o).__name__ for o in outcomes}) or 'nothing'}")
