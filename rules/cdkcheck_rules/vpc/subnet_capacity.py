"""CDKC-V5: a subnet the stacks create is too small for what they place in it.

Subnets that exist already are the live check's: their free addresses are a
fact of the account (AvailableIpAddressCount), not of the template.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.subnet_capacity import CapacityReport, Placement, environment_zones, judge_subnet, subnet_capacity
from cdkcheck.template.intrinsics import AzSlot, resolve_property
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation

META = RuleMeta(
    id="CDKC-V5",
    name="subnet-ip-capacity",
    summary="A subnet the stacks create has fewer usable addresses than the resources placed in it need, "
            "or an Application Load Balancer spans fewer than two availability zones.",
    severity=Severity.ERROR,
    resource_types=("AWS::EC2::Subnet", "AWS::OpenSearchService::Domain", "AWS::RDS::DBInstance",
                    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::EC2::NatGateway", "AWS::ECS::Service",
                    "AWS::ElastiCache::ReplicationGroup", "AWS::Lambda::Function"),
    rationale=(
        "AWS keeps 5 addresses of every subnet, so a /28 has 11 usable. Every service that puts network "
        "interfaces into a subnet needs free addresses there when it is created: OpenSearch asks for 3 per "
        "data node divided over its zones, an ALB needs at least 8 per subnet, an ECS awsvpc service needs "
        "one per task and up to maximumPercent (200 % by default) of its tasks during a deployment, RDS "
        "one per instance (two with Multi-AZ). When they do not fit, creates fail with "
        "InsufficientFreeAddressesInSubnet or 'ELB requires at least 8 free IP addresses in each subnet', "
        "deep into the deploy. cfn-lint and CDK check neither the sum nor ALB zone coverage (cfn-lint E3680 "
        "counts the ALB's subnets, not their zones). Each resource is counted in every subnet it may use "
        "with its even share rounded up: the room that subnet must have."
    ),
    docs_url="https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
    fix=(
        "Give the subnet a shorter prefix (e.g. cidrMask 24 instead of 28 in the CDK SubnetConfiguration), "
        "spread the resources over more subnets, or lower the demand (data nodes, desired tasks, "
        "maximumPercent). For an ALB, choose subnets in at least two availability zones."
    ),
    example=(
        "ec2.Vpc with a PRIVATE_WITH_EGRESS cidrMask of 28 (11 usable addresses per subnet) and in it an "
        "ApplicationLoadBalancedFargateService with desiredCount 8 (16 ENIs during a deployment over 3 "
        "subnets: 6 each) plus a 3-data-node OpenSearch domain over 2 AZs (5 each): 11 needed, 11 available, "
        "and the Multi-AZ database brings it to 12."
    ),
)
DEFAULT_OPTIONS = {"free_ip_headroom": 0}  # warn when fewer addresses than this would be left free


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    report = subnet_capacity(ctx.stacks, availability_zones=environment_zones(ctx.facts))
    yield from _capacity(ctx, report)
    yield from _unplaced(ctx, report)
    for placement in report.placements:
        yield from _alb_zones(ctx, report, placement)


def _capacity(ctx: RuleContext, report: CapacityReport) -> Iterator[Outcome]:
    stacks = {s.display_name: s for s in ctx.stacks}
    wanted_headroom = int(ctx.option("free_ip_headroom", 0))
    for subnet in report.subnets:
        if subnet.subnet.existing or not subnet.demands:
            continue
        yield from judge_subnet(subnet, stacks[subnet.subnet.stack], subnet.subnet.logical_id,
                                headroom=wanted_headroom, property_path="Properties.CidrBlock")


def _unplaced(ctx: RuleContext, report: CapacityReport) -> Iterator[Outcome]:
    for unknown in report.unknown:
        if unknown.existing_only:
            continue  # lands in subnets that exist already: the live check's question
        yield Undetermined(unknown.stack, unknown.logical_id,
                           f"cannot tell which subnets it uses, so their capacity is not checked: {unknown.reason}")


def _alb_zones(ctx: RuleContext, report: CapacityReport, placement: Placement) -> Iterator[Outcome]:
    resource = placement.resource
    if resource.type != "AWS::ElasticLoadBalancingV2::LoadBalancer" or len(placement.subnets) < 2:
        return  # fewer than 2 subnets is cfn-lint E3680's finding
    kind = resolve_property(resource, "Type", placement.stack.template, default="application")
    if kind != "application" or any(key.existing for key in placement.subnets):
        return  # existing subnets' zones are known only in the account
    zones = [report.zones.get(key) for key in placement.subnets]
    names = {z for z in zones if isinstance(z, str)}
    slots = {z.index for z in zones if isinstance(z, AzSlot)}
    if not all(isinstance(z, (str, AzSlot)) for z in zones) or (names and slots):
        yield Undetermined(placement.stack, resource.logical_id,
                           "the availability zones of its subnets are not known before deploy")
        return
    distinct = len(names) + len(slots)
    if distinct < 2:
        zone = next(iter(names)) if names else f"AZ #{next(iter(slots)) + 1}"
        yield Violation(
            stack=placement.stack,
            logical_id=resource.logical_id,
            message=(f"application load balancer uses {len(placement.subnets)} subnets, all in {zone}; "
                     "an ALB needs subnets in at least two availability zones"),
            evidence={"subnets": [str(k) for k in placement.subnets], "zones": sorted(names) or sorted(slots)},
            property_path="Properties.Subnets",
        )


RULE = Rule(meta=META, evaluate=evaluate, default_options=DEFAULT_OPTIONS)
