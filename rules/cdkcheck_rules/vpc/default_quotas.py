"""CDKC-Q1: the stacks alone create more than a default regional quota allows.

The offline stand-in for CDKC-L1: without the account, usage and raised
quotas are unknown, but a deploy that creates six Elastic IPs fails in any
account still at the default of five. With the account reachable this rule
steps aside and CDKC-L1 gives the exact answer (usage plus creation against
the applied quota), so the same shortage is never reported twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from cdkcheck.template.subnet_capacity import environment_zones
from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.template.intrinsics import (
    AzSlot, ResourceRef, env_for_stack, resolve, resolve_availability_zone, resolve_property,
    resource_exists,
)
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation


@dataclass(frozen=True)
class DefaultQuota:
    service: str
    code: str
    name: str
    default: int
    resource_type: str


# Service Quotas codes and defaults verified against the AWS documentation (rule-catalog.md).
ELASTIC_IPS = DefaultQuota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs per Region", 5, "AWS::EC2::EIP")
VPCS = DefaultQuota("vpc", "L-F678F1CE", "VPCs per Region", 5, "AWS::EC2::VPC")
INTERNET_GATEWAYS = DefaultQuota("vpc", "L-A4707A72", "Internet gateways per Region", 5, "AWS::EC2::InternetGateway")
NAT_GATEWAYS_PER_AZ = DefaultQuota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5,
                                   "AWS::EC2::NatGateway")
REGIONAL = (ELASTIC_IPS, VPCS, INTERNET_GATEWAYS)

META = RuleMeta(
    id="CDKC-Q1",
    name="default-quotas",
    summary="Offline: the stacks create more Elastic IPs, VPCs, internet gateways or NAT gateways per AZ "
            "than the default quota (5 each) allows, even in an empty account.",
    severity=Severity.WARNING,
    resource_types=tuple(q.resource_type for q in (*REGIONAL, NAT_GATEWAYS_PER_AZ)),
    rationale=(
        "Every account starts with 5 Elastic IPs, 5 VPCs and 5 internet gateways per region and 5 NAT "
        "gateways per availability zone. A default CDK Vpc takes one NAT gateway and one Elastic IP per AZ, "
        "so two VPCs with maxAzs 3 need 6 Elastic IPs: 'The maximum number of addresses has been reached' "
        "halfway through the deploy. Offline the account's usage and any raised quota are unknown, so this "
        "is advisory; when the account can be read, CDKC-L1 replaces it with the exact comparison."
    ),
    docs_url="https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
    fix=(
        "Request the quota increase in Service Quotas before the first deploy, or create fewer (natGateways: 1 "
        "on the CDK Vpc, share one VPC between stacks). Run cdkcheck with credentials to compare against the "
        "account's real usage and quotas (CDKC-L1)."
    ),
    example="Two ec2.Vpc constructs with maxAzs 3 in one environment: 6 NAT gateways and 6 Elastic IPs; "
            "the default Elastic IP quota is 5.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    try:
        ctx.facts.identity()
        return  # the account answers: CDKC-L1 compares usage + creation with the applied quota
    except FactUnavailable:
        pass
    zones = environment_zones(ctx.facts)
    created: dict[str, list[tuple[Stack, Resource]]] = defaultdict(list)
    for stack in ctx.stacks:
        env = env_for_stack(stack, availability_zones=zones, stacks=ctx.stacks)
        for resource in stack.template.resources.values():
            if resource.type not in _TYPES or resource_exists(resource, stack.template, env) is False:
                continue
            if resource.type == "AWS::EC2::EIP" and \
                    resolve_property(resource, "Domain", stack.template, env) == "standard":
                continue  # EC2-Classic addresses do not count against the VPC quota
            created[resource.type].append((stack, resource))
    for quota in REGIONAL:
        yield from _judge(quota, created.get(quota.resource_type, []), scope="in the region")
    yield from _nat_per_zone(ctx, created.get(NAT_GATEWAYS_PER_AZ.resource_type, []), zones)


_TYPES = {q.resource_type for q in (*REGIONAL, NAT_GATEWAYS_PER_AZ)}


def _judge(quota: DefaultQuota, resources: list[tuple[Stack, Resource]], scope: str) -> Iterator[Outcome]:
    if len(resources) <= quota.default:
        return
    stack, over = resources[quota.default]  # the first one past the default
    yield Violation(
        stack=stack,
        logical_id=over.logical_id,
        message=(f"the stacks create {len(resources)} {quota.resource_type} {scope}, more than the default quota "
                 f"'{quota.name}' of {quota.default} ({quota.service} {quota.code}), before counting what the "
                 "account already uses"),
        evidence={
            "quota": {"service": quota.service, "code": quota.code, "name": quota.name, "default": quota.default},
            "created": len(resources),
            "resources": [{"stack": s.display_name, "logical_id": r.logical_id, "construct_path": r.construct_path}
                          for s, r in resources],
            "source": "AWS documented default; the account was not consulted",
        },
    )


def _nat_per_zone(ctx: RuleContext, gateways: list[tuple[Stack, Resource]], zones) -> Iterator[Outcome]:
    if len(gateways) <= NAT_GATEWAYS_PER_AZ.default:
        return  # cannot exceed the per-AZ default whatever their zones
    by_zone: dict[str, list[tuple[Stack, Resource]]] = defaultdict(list)
    for stack, resource in gateways:
        zone = _zone_of(ctx, stack, resource, zones)
        if zone is None:
            yield Undetermined(stack, resource.logical_id,
                               "NAT gateways per Availability Zone: its subnet's zone is not known before deploy")
            continue
        by_zone[zone].append((stack, resource))
    for zone, members in sorted(by_zone.items()):
        yield from _judge(NAT_GATEWAYS_PER_AZ, members, scope=f"in {zone}")


def _zone_of(ctx: RuleContext, stack: Stack, resource: Resource, zones) -> str | None:
    env = env_for_stack(stack, availability_zones=zones, stacks=ctx.stacks)
    subnet_ref = resolve(resource.properties.get("SubnetId"), stack.template, env)
    if not isinstance(subnet_ref, ResourceRef):
        return None
    owner = next((s for s in ctx.stacks if s.template is subnet_ref.template), stack)
    subnet = owner.template.resources.get(subnet_ref.logical_id)
    if subnet is None or subnet.type != "AWS::EC2::Subnet":
        return None
    owner_env = env_for_stack(owner, availability_zones=zones, stacks=ctx.stacks)
    zone = resolve_availability_zone(subnet.properties.get("AvailabilityZone"), owner.template, owner_env)
    if isinstance(zone, str):
        return zone
    if isinstance(zone, AzSlot):
        return f"AZ #{zone.index + 1}"
    return None


RULE = Rule(meta=META, evaluate=evaluate)
