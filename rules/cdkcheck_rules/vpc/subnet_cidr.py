"""CDKC-V4: a VPC or subnet CIDR that EC2 will refuse.

cfn-lint already reports a literal subnet CIDR outside its VPC (E3059) and two
literal subnet CIDRs of one VPC that overlap (E3060) when the VPC and the
subnets are written literally in one template. This rule adds what it cannot
see: prefix lengths outside /16-/28, CIDRs computed with Fn::Cidr / parameters,
and subnets that use a VPC of another stack through an export.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterator

from cdkcheck.template.intrinsics import ResourceRef, Unknown, env_for_stack, resolve
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.template.subnet_capacity import environment_zones
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation

SMALLEST_PREFIX, LARGEST_PREFIX = 16, 28  # IPv4 VPC and subnet blocks: /16 (65,536) to /28 (16)

META = RuleMeta(
    id="CDKC-V4",
    name="subnet-cidr",
    summary="A VPC or subnet IPv4 CIDR outside /16-/28, a subnet outside its VPC's CIDRs, or subnets of one "
            "VPC that overlap, where cfn-lint cannot see it.",
    severity=Severity.ERROR,
    resource_types=("AWS::EC2::VPC", "AWS::EC2::VPCCidrBlock", "AWS::EC2::Subnet"),
    rationale=(
        "EC2 accepts IPv4 VPC and subnet blocks from /16 to /28 only, a subnet's block must lie inside one "
        "of its VPC's blocks, and the subnets of a VPC must not overlap; otherwise the subnet create fails "
        "('The CIDR ... is invalid', 'The CIDR ... conflicts with another subnet') after everything before "
        "it in the stack was created. cfn-lint E3059/E3060 check literal CIDRs within one template; CDK "
        "apps often split the VPC and its users across stacks, and hand-written templates compute CIDRs "
        "with Fn::Cidr, which this rule resolves."
    ),
    docs_url="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html",
    fix=(
        "Choose a block between /16 and /28 inside the VPC's CIDR that no other subnet of the VPC uses; in "
        "CDK, let ec2.Vpc allocate the subnets (cidrMask in SubnetConfiguration) instead of fixed CIDRs."
    ),
    example=(
        "A network stack exports its VPC (10.0.0.0/16) and a second stack adds AWS::EC2::Subnet with "
        "VpcId Fn::ImportValue of that export and CidrBlock 10.1.0.0/24: outside the VPC, and invisible "
        "to cfn-lint, which sees one template at a time."
    ),
)


@dataclass(frozen=True)
class _Block:
    stack: Stack
    resource: Resource
    network: ipaddress.IPv4Network
    literal: bool  # written as a plain string: cfn-lint sees it


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    zones = environment_zones(ctx.facts)
    envs = {s.artifact_id: env_for_stack(s, availability_zones=zones, stacks=ctx.stacks) for s in ctx.stacks}
    by_template = {id(s.template): s for s in ctx.stacks}

    def resolved(stack: Stack, value: Any) -> Any:
        return resolve(value, stack.template, envs[stack.artifact_id])

    vpc_blocks: dict[tuple[str, str], list[_Block]] = {}  # (stack, VPC logical id) -> its IPv4 blocks
    dynamic_vpcs: set[tuple[str, str]] = set()
    for stack in ctx.stacks:
        for resource in stack.template.of_type("AWS::EC2::VPC", "AWS::EC2::VPCCidrBlock"):
            if resource.type == "AWS::EC2::VPC":
                key = (stack.display_name, resource.logical_id)
            else:
                owner = _vpc_of(resolved(stack, resource.properties.get("VpcId")), by_template, stack)
                if not isinstance(owner, tuple):
                    continue  # a block added to a VPC outside these stacks: nothing to compare here
                key = owner
            raw = resource.properties.get("CidrBlock")
            if raw is None:
                if resource.properties.get("Ipv4IpamPoolId") is not None:
                    dynamic_vpcs.add(key)  # the block comes from IPAM at deploy time
                continue
            block = _network(resolved(stack, raw))
            if isinstance(block, Unknown):
                dynamic_vpcs.add(key)
                continue
            if block is None:
                continue  # not an IPv4 network: cfn-lint's E3002 reports malformed CIDRs
            vpc_blocks.setdefault(key, []).append(_Block(stack, resource, block, isinstance(raw, str)))
            yield from _prefix_range(stack, resource, block, "VPC")

    subnets_by_vpc: dict[tuple[str, str], list[_Block]] = {}
    for stack in ctx.stacks:
        for subnet in stack.template.of_type("AWS::EC2::Subnet"):
            raw = subnet.properties.get("CidrBlock")
            if raw is None:
                continue  # IPv6-only or IPAM-allocated
            block = _network(resolved(stack, raw))
            if isinstance(block, Unknown):
                continue  # the block is chosen at deploy time (for example Fn::Cidr of the VPC's GetAtt)
            if block is None:
                continue
            yield from _prefix_range(stack, subnet, block, "subnet")
            vpc = _vpc_of(resolved(stack, subnet.properties.get("VpcId")), by_template, stack)
            if isinstance(vpc, str):
                if ("existing", vpc) not in subnets_by_vpc:
                    yield Undetermined(stack, subnet.logical_id,
                                       f"subnets added to existing VPC {vpc}: its CIDRs and subnets are known only "
                                       "in the account, so only the stacks' own subnets are compared")
                vpc = ("existing", vpc)
            elif isinstance(vpc, Unknown):
                yield Undetermined(stack, subnet.logical_id, f"its VPC cannot be named: {vpc.reason}")
                continue
            this = _Block(stack, subnet, block, isinstance(raw, str))
            if vpc in vpc_blocks and vpc not in dynamic_vpcs:
                yield from _outside(this, vpc_blocks[vpc])
            siblings = subnets_by_vpc.setdefault(vpc, [])
            yield from _overlaps(this, siblings, vpc)
            siblings.append(this)


def _prefix_range(stack: Stack, resource: Resource, block: ipaddress.IPv4Network, what: str) -> Iterator[Outcome]:
    if SMALLEST_PREFIX <= block.prefixlen <= LARGEST_PREFIX:
        return
    usable = f"{block.num_addresses} addresses"
    yield Violation(
        stack=stack,
        logical_id=resource.logical_id,
        message=(f"{what} CIDR {block} is a /{block.prefixlen} ({usable}); EC2 accepts IPv4 {what} blocks "
                 f"from /{SMALLEST_PREFIX} to /{LARGEST_PREFIX} only"),
        evidence={"cidr": str(block), "prefix_length": block.prefixlen,
                  "allowed": f"/{SMALLEST_PREFIX}-/{LARGEST_PREFIX}"},
        property_path="Properties.CidrBlock",
    )


def _outside(subnet: _Block, vpc_blocks: list[_Block]) -> Iterator[Outcome]:
    if any(subnet.network.subnet_of(v.network) for v in vpc_blocks):
        return
    if subnet.literal and all(v.literal and v.stack is subnet.stack for v in vpc_blocks):
        return  # cfn-lint E3059 reports this one
    blocks = ", ".join(str(v.network) for v in vpc_blocks)
    vpc = vpc_blocks[0]
    yield Violation(
        stack=subnet.stack,
        logical_id=subnet.resource.logical_id,
        message=(f"subnet CIDR {subnet.network} is not inside its VPC "
                 f"{vpc.resource.construct_path or vpc.resource.logical_id} ({blocks})"),
        evidence={"cidr": str(subnet.network), "vpc_cidrs": [str(v.network) for v in vpc_blocks],
                  "vpc": f"{vpc.stack.display_name}/{vpc.resource.logical_id}"},
        property_path="Properties.CidrBlock",
    )


def _overlaps(subnet: _Block, siblings: list[_Block], vpc: tuple[str, str]) -> Iterator[Outcome]:
    for other in siblings:
        if not subnet.network.overlaps(other.network):
            continue
        if subnet.literal and other.literal and other.stack is subnet.stack and \
                _same_vpc_expression(subnet.resource, other.resource):
            continue  # cfn-lint E3060 reports this one
        if other.stack.display_name != vpc[0] and subnet.stack.display_name == vpc[0]:
            subnet, other = other, subnet  # blame the stack that adds to another stack's VPC
        yield Violation(
            stack=subnet.stack,
            logical_id=subnet.resource.logical_id,
            message=(f"subnet CIDR {subnet.network} overlaps {other.network} of "
                     f"{other.resource.construct_path or other.stack.display_name + '/' + other.resource.logical_id} "
                     "in the same VPC"),
            evidence={"cidr": str(subnet.network), "overlaps": str(other.network),
                      "other_subnet": f"{other.stack.display_name}/{other.resource.logical_id}"},
            property_path="Properties.CidrBlock",
        )


def _same_vpc_expression(a: Resource, b: Resource) -> bool:
    return a.properties.get("VpcId") == b.properties.get("VpcId")


def _network(value: Any) -> ipaddress.IPv4Network | Unknown | None:
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, str):
        return Unknown("the CIDR is not a single value")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return None
    return network if isinstance(network, ipaddress.IPv4Network) else None


def _vpc_of(value: Any, by_template: dict[int, Stack], stack: Stack) -> tuple[str, str] | str | Unknown:
    """(stack, logical id) of a VPC the stacks create, an existing VPC's id, or Unknown."""
    if isinstance(value, ResourceRef) and value.attribute in (None, "VpcId"):
        owner = by_template.get(id(value.template), stack)
        target = owner.template.resources.get(value.logical_id)
        if target is not None and target.type == "AWS::EC2::VPC":
            return owner.display_name, value.logical_id
        return Unknown(f"VpcId points at {value.logical_id}, which is not an AWS::EC2::VPC")
    if isinstance(value, str):
        return value
    return value if isinstance(value, Unknown) else Unknown("VpcId is not a single value")


RULE = Rule(meta=META, evaluate=evaluate)
