"""CDKC-L1: the deploy would take a regional quota past its limit.

For every quota the stacks touch: what the account uses now plus what the
deploy creates, against the quota in force. Each figure says where it came
from (Service Quotas' applied value, its AWS default, RDS's account
attributes, or the documented default when AWS publishes none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.template.intrinsics import env_for_stack, resolve_availability_zone
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import literal, number, require_account, resources_of

Counted = tuple[Stack, Resource, float]


@dataclass(frozen=True)
class RegionalQuota:
    service: str  # Service Quotas service code ("rds": an RDS account attribute name as the code)
    code: str
    name: str
    documented_default: float
    usage_metric: str
    resource_types: tuple[str, ...]
    amount: Callable[[RuleContext, Stack, Resource], float | None] = lambda ctx, stack, resource: 1.0
    unit: str = ""


def _eip_in_vpc(ctx: RuleContext, stack: Stack, resource: Resource) -> float:
    return 0.0 if literal(ctx, stack, resource, "Domain") == "standard" else 1.0


def _application_lb(ctx: RuleContext, stack: Stack, resource: Resource) -> float:
    return 1.0 if (literal(ctx, stack, resource, "Type") or "application") == "application" else 0.0


def _db_storage(ctx: RuleContext, stack: Stack, resource: Resource) -> float | None:
    if literal(ctx, stack, resource, "DBClusterIdentifier"):
        return 0.0  # Aurora storage belongs to the cluster and is not allocated up front
    return number(ctx, stack, resource, "AllocatedStorage")


def cache_nodes(ctx: RuleContext, stack: Stack, resource: Resource) -> float | None:
    if resource.type == "AWS::ElastiCache::CacheCluster":
        return number(ctx, stack, resource, "NumCacheNodes")
    groups = number(ctx, stack, resource, "NumNodeGroups")
    replicas = number(ctx, stack, resource, "ReplicasPerNodeGroup")
    if groups is not None or replicas is not None:
        return (groups or 1) * ((replicas or 0) + 1)
    configured = literal(ctx, stack, resource, "NodeGroupConfiguration")
    if isinstance(configured, list) and configured:
        return sum(1 + (number(ctx, stack, resource, f"NodeGroupConfiguration.{i}.ReplicaCount") or 0)
                   for i in range(len(configured)))
    return number(ctx, stack, resource, "NumCacheClusters", default=1)


# Codes from the Service Quotas documentation (rule-catalog.md); ElastiCache's code is unverified,
# so when Service Quotas does not know it the documented default is used and named as such.
REGIONAL_QUOTAS: tuple[RegionalQuota, ...] = (
    RegionalQuota("vpc", "L-F678F1CE", "VPCs per Region", 5, "ec2:vpcs", ("AWS::EC2::VPC",)),
    RegionalQuota("vpc", "L-A4707A72", "Internet gateways per Region", 5, "ec2:internet-gateways",
                  ("AWS::EC2::InternetGateway",)),
    RegionalQuota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5, "ec2:elastic-ips", ("AWS::EC2::EIP",),
                  _eip_in_vpc),
    RegionalQuota("vpc", "L-E79EC296", "VPC security groups per Region", 2500, "ec2:security-groups",
                  ("AWS::EC2::SecurityGroup",)),
    RegionalQuota("vpc", "L-DF5E4CA3", "Network interfaces per Region", 5000, "ec2:network-interfaces",
                  ("AWS::EC2::NetworkInterface",)),
    RegionalQuota("rds", "DBInstances", "RDS DB instances", 40, "rds:DBInstances",
                  ("AWS::RDS::DBInstance", "AWS::DocDB::DBInstance", "AWS::Neptune::DBInstance")),
    RegionalQuota("rds", "AllocatedStorage", "RDS total storage for all DB instances", 100000,
                  "rds:AllocatedStorage", ("AWS::RDS::DBInstance",), _db_storage, unit=" GiB"),
    RegionalQuota("rds", "DBSubnetGroups", "RDS DB subnet groups", 50, "rds:DBSubnetGroups",
                  ("AWS::RDS::DBSubnetGroup",)),
    RegionalQuota("rds", "DBClusters", "RDS DB clusters", 40, "rds:DBClusters", ("AWS::RDS::DBCluster",)),
    RegionalQuota("es", "L-076D529E", "OpenSearch domains per Region", 100, "opensearch:domains",
                  ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain")),
    RegionalQuota("elasticloadbalancing", "L-53DA6B97", "Application Load Balancers per Region", 50,
                  "elbv2:application-load-balancers", ("AWS::ElasticLoadBalancingV2::LoadBalancer",),
                  _application_lb),
    RegionalQuota("elasticloadbalancing", "L-B22855CB", "Target groups per Region", 3000, "elbv2:target-groups",
                  ("AWS::ElasticLoadBalancingV2::TargetGroup",)),
    RegionalQuota("elasticache", "L-DFA99DE7", "ElastiCache nodes per Region", 300, "elasticache:nodes",
                  ("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"), cache_nodes),
)
NAT_PER_AZ = RegionalQuota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5, "ec2:nat-gateways",
                           ("AWS::EC2::NatGateway",))
INSTANCES_PER_DOMAIN = ("es", "L-6408ABDE", "Instances per OpenSearch domain", 80)
DOMAIN_TYPES = ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain")

META = RuleMeta(
    id="CDKC-L1",
    name="account-quotas",
    summary="Current usage plus what the stacks create exceeds a regional quota of the account.",
    severity=Severity.ERROR,
    resource_types=tuple(dict.fromkeys(t for q in (*REGIONAL_QUOTAS, NAT_PER_AZ) for t in q.resource_types))
    + DOMAIN_TYPES,
    rationale=(
        "Quotas are per account and region, so a template that deployed in staging fails in a production "
        "account that already runs other workloads: 'The maximum number of addresses has been reached', "
        "'Performing this operation would exceed the limit of 5 NAT gateways', InstanceQuotaExceeded. A "
        "default CDK Vpc takes one Elastic IP and NAT gateway per AZ, so two of them exceed the default "
        "5 Elastic IPs. Usage is read from the account now; the quota from Service Quotas (applied value, "
        "else the AWS default) or, for RDS, describe_account_attributes, which gives usage and limit "
        "together. Resources already deployed in the stacks are not counted twice."
    ),
    docs_url="https://docs.aws.amazon.com/servicequotas/latest/userguide/intro.html",
    fix=(
        "Request a quota increase in Service Quotas before deploying, release unused resources (unattached "
        "Elastic IPs, idle NAT gateways), or create fewer (e.g. natGateways: 1 on the Vpc). Quotas are "
        "account facts: they can be reconfigured (options.headroom_percent), not suppressed."
    ),
    example="Three Elastic IPs in use plus a Vpc with maxAzs 3 (three NAT gateways, three EIPs): 6 > 5.",
    needs_live=True,
    suppressible=False,
)
DEFAULT_OPTIONS = {"headroom_percent": 10}  # warn when the deploy leaves less than this share of a quota


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    if not any(stack.template.of_type(*META.resource_types) for stack in ctx.stacks):
        return  # no quota touched: nothing to ask the account
    require_account(ctx)
    requested: dict[RegionalQuota, list[Counted]] = {}
    unknown_amounts: list[Undetermined] = []
    for quota in REGIONAL_QUOTAS:
        counted = []
        for stack, resource in resources_of(ctx, quota.resource_types, new_only=True):
            amount = quota.amount(ctx, stack, resource)
            if amount is None:
                unknown_amounts.append(Undetermined(stack, resource.logical_id,
                                                    f"{quota.name}: the amount it takes is not known before deploy"))
            elif amount:
                counted.append((stack, resource, float(amount)))
        if counted:
            requested[quota] = counted
    nat = list(resources_of(ctx, NAT_PER_AZ.resource_types, new_only=True))
    domains = list(resources_of(ctx, DOMAIN_TYPES))

    questions = [("quota", q.service, q.code) for q in requested] + [("usage", q.usage_metric) for q in requested]
    if nat:
        questions += [("quota", NAT_PER_AZ.service, NAT_PER_AZ.code), ("usage", NAT_PER_AZ.usage_metric)]
    if domains:
        questions.append(("quota", INSTANCES_PER_DOMAIN[0], INSTANCES_PER_DOMAIN[1]))
    ctx.facts.prefetch(tuple(questions))

    headroom = float(ctx.option("headroom_percent", 10))
    yield from unknown_amounts
    for quota, counted in requested.items():
        yield from _regional(ctx, quota, counted, headroom)
    if nat:
        yield from _nat_per_zone(ctx, nat, headroom)
    if domains:
        yield from _instances_per_domain(ctx, domains)


def _limit(ctx: RuleContext, service: str, code: str, name: str, documented: float) -> tuple[float, str]:
    found = ctx.facts.quota(service, code)
    if found is None:
        return documented, "documented default (AWS publishes no figure for this account)"
    return found.value, found.source


def _regional(ctx: RuleContext, quota: RegionalQuota, counted: list[Counted], headroom: float) -> Iterator[Outcome]:
    try:
        limit, limit_source = _limit(ctx, quota.service, quota.code, quota.name, quota.documented_default)
        usage = ctx.facts.usage(quota.usage_metric)
    except FactUnavailable as unavailable:
        yield Undetermined(None, None, f"{quota.name}: {unavailable.reason}")
        return
    yield from _judge(quota.name, quota.service, quota.code, quota.unit, limit, limit_source, usage.value,
                      usage.source, counted, headroom)


def _nat_per_zone(ctx: RuleContext, gateways: list[tuple[Stack, Resource]], headroom: float) -> Iterator[Outcome]:
    try:
        limit, limit_source = _limit(ctx, NAT_PER_AZ.service, NAT_PER_AZ.code, NAT_PER_AZ.name,
                                     NAT_PER_AZ.documented_default)
        usage = ctx.facts.usage(NAT_PER_AZ.usage_metric)
        zones = ctx.facts.availability_zones()
    except FactUnavailable as unavailable:
        yield Undetermined(None, None, f"{NAT_PER_AZ.name}: {unavailable.reason}")
        return
    by_zone: dict[str, list[Counted]] = defaultdict(list)
    for stack, resource in gateways:
        zone = _gateway_zone(ctx, stack, resource, zones)
        if zone is None:
            yield Undetermined(stack, resource.logical_id,
                               f"{NAT_PER_AZ.name}: the NAT gateway's availability zone is not known before deploy")
            continue
        by_zone[zone].append((stack, resource, 1.0))
    for zone, counted in sorted(by_zone.items()):
        yield from _judge(f"{NAT_PER_AZ.name} ({zone})", NAT_PER_AZ.service, NAT_PER_AZ.code, "", limit,
                          limit_source, usage.by_zone.get(zone, 0.0), usage.source, counted, headroom)


def _gateway_zone(ctx: RuleContext, stack: Stack, resource: Resource, zones: tuple[str, ...]) -> str | None:
    subnet_ref = resource.properties.get("SubnetId")
    if not (isinstance(subnet_ref, dict) and isinstance(subnet_ref.get("Ref"), str)):
        return None
    subnet = stack.template.resources.get(subnet_ref["Ref"])
    if subnet is None:
        return None
    zone = resolve_availability_zone(subnet.properties.get("AvailabilityZone"), stack.template,
                                     env_for_stack(stack, availability_zones=zones))
    return zone if isinstance(zone, str) else None


def _instances_per_domain(ctx: RuleContext, domains: list[tuple[Stack, Resource]]) -> Iterator[Outcome]:
    service, code, name, documented = INSTANCES_PER_DOMAIN
    try:
        limit, limit_source = _limit(ctx, service, code, name, documented)
    except FactUnavailable as unavailable:
        yield Undetermined(None, None, f"{name}: {unavailable.reason}")
        return
    for stack, resource in domains:
        config = "ClusterConfig" if resource.type == "AWS::OpenSearchService::Domain" else "ElasticsearchClusterConfig"
        data = number(ctx, stack, resource, f"{config}.InstanceCount", default=1)
        masters = number(ctx, stack, resource, f"{config}.DedicatedMasterCount", default=0) \
            if literal(ctx, stack, resource, f"{config}.DedicatedMasterEnabled") in (True, "true") else 0
        warm = number(ctx, stack, resource, f"{config}.WarmCount", default=0) \
            if literal(ctx, stack, resource, f"{config}.WarmEnabled") in (True, "true") else 0
        total = data + masters + warm
        if total > limit:
            yield Violation(
                stack=stack, logical_id=resource.logical_id,
                message=(f"{name}: {data:g} data + {masters:g} dedicated master + {warm:g} warm = {total:g} "
                         f"instances > quota {limit:g} ({limit_source})"),
                evidence={"quota": name, "service_code": service, "quota_code": code, "limit": limit,
                          "limit_source": limit_source, "data": data, "masters": masters, "warm": warm,
                          "total": total},
                property_path=f"Properties.{config}",
            )


def _judge(name: str, service: str, code: str, unit: str, limit: float, limit_source: str, used: float,
           used_source: str, counted: list[Counted], headroom: float) -> Iterator[Outcome]:
    requested = sum(amount for _, _, amount in counted)
    total = used + requested
    stack, resource, _ = counted[0]
    parts = ", ".join(f"{resource.construct_path or resource.logical_id} {amount:g}"
                      for _, resource, amount in counted[:6]) + (" ..." if len(counted) > 6 else "")
    arithmetic = (f"{used:g}{unit} in use ({used_source}) + {requested:g}{unit} requested ({parts}) = "
                  f"{total:g}{unit}; quota {limit:g}{unit} ({limit_source})")
    evidence = {
        "quota": name, "service_code": service, "quota_code": code, "limit": limit, "limit_source": limit_source,
        "used": used, "used_source": used_source, "requested": requested, "total": total,
        "requested_by": [{"stack": s.display_name, "logical_id": r.logical_id, "amount": a} for s, r, a in counted],
        "arithmetic": arithmetic,
    }
    if total > limit:
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"{name} would be exceeded: {arithmetic}", evidence=evidence)
    elif headroom > 0 and total > limit * (1 - headroom / 100):
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"{name} would be within {headroom:g}% of its limit: {arithmetic}",
                        evidence={**evidence, "headroom_percent": headroom}, severity=Severity.WARNING)


RULE = Rule(meta=META, evaluate=evaluate, default_options=DEFAULT_OPTIONS)
