"""CDKC-L2: an existing subnet has fewer free addresses than the stacks put into it.

Subnets the stacks only reference (an imported VPC, literal subnet ids, a
named subnet group) have their free addresses in the account
(AvailableIpAddressCount). The demand comes from the same capacity model as
CDKC-V5 (cdkcheck.template.subnet_capacity); resources already deployed are not counted again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from cdkcheck.template.subnet_capacity import environment_zones, judge_subnet, subnet_capacity
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import deployed_logical_ids, require_account

META = RuleMeta(
    id="CDKC-L2",
    name="existing-subnet-free-ips",
    summary="An existing subnet the stacks place resources in has fewer free IP addresses than they need.",
    severity=Severity.ERROR,
    resource_types=("AWS::OpenSearchService::Domain", "AWS::RDS::DBInstance", "AWS::ECS::Service",
                    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElastiCache::ReplicationGroup",
                    "AWS::Lambda::Function", "AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint"),
    rationale=(
        "A subnet of an imported VPC is shared with whatever else runs there, so its free addresses are a "
        "fact of the account, not of the template. Creates that need more than are left fail mid-deploy with "
        "InsufficientFreeAddressesInSubnet, or 'ELB requires at least 8 free IP addresses in each subnet'. "
        "AvailableIpAddressCount can lag behind recent changes (boto/boto3#2920), so keep some headroom."
    ),
    docs_url="https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
    fix=(
        "Place the resources in subnets with more free addresses, free addresses (delete unused ENIs), add "
        "a CIDR block and larger subnets to the VPC, or lower the demand (data nodes, desired tasks, "
        "maximumPercent)."
    ),
    example="An ApplicationLoadBalancedFargateService with 8 tasks over 2 imported subnets with 5 free each.",
    needs_live=True,
    suppressible=False,
)
DEFAULT_OPTIONS = {"free_ip_headroom": 0}  # warn when fewer free addresses than this would be left


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    model = subnet_capacity(ctx.stacks)
    existing = model.existing_subnet_ids
    stacks = {s.display_name: s for s in ctx.stacks}
    for unknown in model.unknown:
        if unknown.existing_only:
            yield Undetermined(unknown.stack, unknown.logical_id,
                               f"it uses subnets that exist already but cannot be named: {unknown.reason}")
    if not existing:
        return
    require_account(ctx)
    subnets = ctx.facts.subnets(existing)
    report = subnet_capacity(ctx.stacks, availability_zones=environment_zones(ctx.facts),
                             available_ips={i: s.available_ips for i, s in subnets.items()},
                             available_source="AvailableIpAddressCount, ec2.describe_subnets")
    deployed = {name: deployed_logical_ids(ctx, stack) for name, stack in stacks.items()}
    headroom = int(ctx.option("free_ip_headroom", 0))
    for subnet in report.subnets:
        if not subnet.subnet.existing or not subnet.demands:
            continue
        subnet = replace(subnet, demands=tuple(d for d in subnet.demands
                                               if d.logical_id not in deployed.get(d.stack, frozenset())))
        if not subnet.demands:
            continue
        first = subnet.demands[0]
        stack = stacks.get(first.stack)
        facts = subnets.get(subnet.subnet.subnet_id)
        if facts is None:
            yield Violation(stack=stack, logical_id=first.logical_id,
                            message=f"subnet {subnet.subnet.subnet_id} does not exist in account "
                                    f"{ctx.environment.account or ''} {ctx.environment.region or ''}".rstrip(),
                            evidence={"subnet": subnet.subnet.subnet_id})
            continue
        subnet = replace(subnet, cidr_block=facts.cidr_block, availability_zone=facts.availability_zone)
        yield from judge_subnet(subnet, stack, first.logical_id, headroom=headroom)


RULE = Rule(meta=META, evaluate=evaluate, default_options=DEFAULT_OPTIONS)
