"""CDKC-O4: a VPC domain's subnets do not match its zone awareness."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES, cluster_path, property_path
from cdkcheck_rules.toolkit import Resolution, subnet_zone_coverage, undetermined, violation_or_undetermined

META = RuleMeta(
    id="CDKC-O4",
    name="opensearch-zone-subnets",
    summary="An OpenSearch VPC domain has a subnet count or subnet zones that do not match its zone awareness.",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "A VPC domain places one subnet per zone it uses. Without zone awareness it takes exactly one subnet "
        "(\"You must specify exactly one subnet.\", aws/aws-cdk#29346); with zone awareness over N zones "
        "(AvailabilityZoneCount, default 2) it takes N subnets in N different zones. CDK's Domain checks only "
        "that there are enough zones among the subnets it selected, and not for CfnDomain; cfn-lint does not "
        "look at subnets. Zones are followed through Refs, cross-stack imports and Fn::Select/Fn::GetAZs; "
        "existing subnets are looked up in the account."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html",
    fix="Give the domain one subnet per availability zone it uses (CDK: vpcSubnets selecting exactly "
        "zoneAwareness.availabilityZoneCount subnets in different AZs, or a single subnet without zone awareness).",
    example="zone_awareness enabled with availability_zone_count=2 and three private subnets selected.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        subnet_ids = view.prop(domain, "VPCOptions.SubnetIds")
        if subnet_ids is None:
            continue  # a public domain, or the service default
        zone_aware = view.flag(domain, cluster_path(domain, "ZoneAwarenessEnabled"), default=False)
        zones = view.number(domain, cluster_path(domain, "ZoneAwarenessConfig.AvailabilityZoneCount"))
        for name, value in (("ZoneAwarenessEnabled", zone_aware), ("AvailabilityZoneCount", zones)):
            if isinstance(value, Unknown):
                yield undetermined(view, domain, name, value)
                break
        else:
            needed = (int(zones) if zones is not None else 2) if zone_aware else 1
            if isinstance(subnet_ids, Unknown) or not isinstance(subnet_ids, list):
                reason = subnet_ids.reason if isinstance(subnet_ids, Unknown) else "not a list"
                yield Undetermined(view.stack, domain.logical_id, f"VPCOptions.SubnetIds: {reason}")
                continue
            evidence = {"zone_awareness": bool(zone_aware), "zones_needed": needed, "subnet_count": len(subnet_ids)}
            path = property_path("VPCOptions.SubnetIds")
            if len(subnet_ids) != needed:
                setting = f"zone awareness over {needed} zones" if zone_aware else "no zone awareness"
                yield violation_or_undetermined(
                    view, domain,
                    f"{len(subnet_ids)} subnet{'s' if len(subnet_ids) != 1 else ''} for a domain with {setting}: "
                    f"it takes exactly {needed}, the create fails",
                    evidence=evidence, property_path=path)
                continue
            if needed == 1:
                continue
            coverage = subnet_zone_coverage(subnet_ids, view, resolution)
            if isinstance(coverage, Unknown):
                yield Undetermined(view.stack, domain.logical_id, f"VPCOptions.SubnetIds: {coverage.reason}")
            elif coverage.at_most < needed:
                yield violation_or_undetermined(
                    view, domain,
                    f"the {len(subnet_ids)} subnets lie in {coverage.at_most} availability zone"
                    f"{'s' if coverage.at_most != 1 else ''}; zone awareness over {needed} zones needs one subnet "
                    f"in each of {needed} different zones",
                    evidence={**evidence, "subnets": coverage.described(), "distinct_zones": coverage.at_most},
                    property_path=path)
            elif coverage.at_least < needed:
                unknown = "; ".join(f"{k}: {v}" for k, v in coverage.unknown.items()) or \
                    "zones named in different ways may coincide"
                yield Undetermined(view.stack, domain.logical_id,
                                   f"whether the subnets lie in {needed} different zones is not known before "
                                   f"deploy ({unknown})")


RULE = Rule(meta=META, evaluate=evaluate)
