"""CDKC-R6: a DB subnet group whose subnets cover too few availability zones."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import ResourceRef, Unknown
from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined

from cdkcheck_rules.toolkit import Resolution, StackView, subnet_zone_coverage, violation_or_undetermined
from cdkcheck_rules.rds.support import DB_CLUSTER, engine_family

SUBNET_GROUP = "AWS::RDS::DBSubnetGroup"

META = RuleMeta(
    id="CDKC-R6",
    name="rds-subnet-group-azs",
    summary="A DB subnet group covers fewer than 2 availability zones (3 for a Multi-AZ DB cluster).",
    severity=Severity.ERROR,
    resource_types=(SUBNET_GROUP, DB_CLUSTER),
    rationale=(
        "RDS refuses to create a DB subnet group whose subnets lie in fewer than two availability zones (\"DB "
        "Subnet Group doesn't meet availability zone coverage requirement. Please add subnets to cover at least "
        "2 availability zones.\"), even for a single-AZ instance; a Multi-AZ DB cluster (RDS for MySQL or "
        "PostgreSQL with DBClusterInstanceClass) needs subnets in three. CDK does not validate this for "
        "instances (aws/aws-cdk#8279) and cfn-lint cannot, because the zones sit on the subnets. The zones are "
        "read from the subnets' AvailabilityZone, following Refs, cross-stack imports of subnets in the checked "
        "stacks, and Fn::Select over Fn::GetAZs (two different indexes are two different zones); subnets that "
        "already exist are looked up in the account."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html",
    fix="Add subnets in other availability zones to the subnet group (CDK: vpcSubnets selecting subnets in "
        "two or more AZs; a VPC with maxAzs >= 2, or 3 for a Multi-AZ DB cluster).",
    example="rds.DatabaseInstance(vpc_subnets=SubnetSelection(availability_zones=['us-east-1a'])): one zone only.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    needs_three = _groups_of_multi_az_clusters(resolution)
    for view, group in resolution.resources(SUBNET_GROUP):
        required = 3 if (id(view.template), group.logical_id) in needs_three else 2
        yield from _check_group(view, group, required, resolution)


def _groups_of_multi_az_clusters(resolution: Resolution) -> set[tuple[int, str]]:
    groups: set[tuple[int, str]] = set()
    for view, cluster in resolution.resources(DB_CLUSTER):
        engine = view.text(cluster, "Engine")
        if not isinstance(engine, str) or engine_family(engine) not in ("mysql", "postgres"):
            continue
        if view.prop(cluster, "DBClusterInstanceClass") is None:
            continue
        group = view.prop(cluster, "DBSubnetGroupName")
        if isinstance(group, ResourceRef) and group.template is view.template:
            groups.add((id(view.template), group.logical_id))
    return groups


def _check_group(view: StackView, group: Resource, required: int, resolution: Resolution):
    subnet_ids = view.prop(group, "SubnetIds")
    if subnet_ids is None:
        return  # a required property: cfn-lint reports its absence
    coverage = subnet_zone_coverage(subnet_ids, view, resolution)
    if isinstance(coverage, Unknown):
        yield Undetermined(view.stack, group.logical_id, f"SubnetIds: {coverage.reason}")
        return
    if coverage.at_least >= required:
        return
    purpose = "a Multi-AZ DB cluster" if required == 3 else "a DB subnet group"
    if coverage.at_most >= required:
        unknown = "; ".join(f"{label}: {reason}" for label, reason in coverage.unknown.items()) or \
            "zones named in different ways (name, id, or position in Fn::GetAZs) may coincide"
        yield Undetermined(view.stack, group.logical_id,
                           f"{purpose} needs subnets in {required} availability zones; {coverage.at_least} "
                           f"certain so far, the rest not known before deploy ({unknown})")
        return
    yield violation_or_undetermined(
        view, group,
        f"the subnets of this DB subnet group cover {coverage.at_most} availability zone"
        f"{'s' if coverage.at_most != 1 else ''}; {purpose} needs {required}: RDS rejects the create",
        evidence={"subnets": coverage.described(), "distinct_zones": coverage.at_most,
                  "required_zones": required, "subnet_count": coverage.subnet_count},
        property_path="Properties/SubnetIds",
    )


RULE = Rule(meta=META, evaluate=evaluate)
