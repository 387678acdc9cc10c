"""CDKC-O5: data-node counts that do not spread evenly over the domain's availability zones."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES, OPENSEARCH_DOMAIN, cluster_path, property_path
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

META = RuleMeta(
    id="CDKC-O5",
    name="opensearch-data-nodes-per-zone",
    summary="An OpenSearch domain's data-node count does not fit its zone awareness (odd over 2 AZs, Multi-AZ "
            "with Standby rules; uneven over 3 AZs is advisory).",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "With zone awareness the service spreads data nodes evenly over the zones. Over two zones an odd count "
        "fails the create: \"You must choose an even number of data nodes for a two Availability Zone "
        "deployment\" (ValidationException); CDK does not check it and cfn-lint cannot. Over three zones AWS "
        "recommends a multiple of three (shards otherwise pile onto some nodes): reported as a warning. Multi-AZ "
        "with Standby needs three zones and a multiple of three data nodes. A 3-zone domain in a region with "
        "fewer zones fails too; that is checked when the account's zones are known."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html",
    fix="Use an even InstanceCount with AvailabilityZoneCount 2 (CDK: capacity.dataNodes), or set the zone count "
        "to 3 and a multiple of three nodes.",
    example="capacity=CapacityConfig(data_nodes=3), zone_awareness=ZoneAwarenessConfig(availability_zone_count=2).",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        zone_aware = view.flag(domain, cluster_path(domain, "ZoneAwarenessEnabled"), default=False)
        standby = (view.flag(domain, cluster_path(domain, "MultiAZWithStandbyEnabled"), default=False)
                   if domain.type == OPENSEARCH_DOMAIN else False)
        zones = view.number(domain, cluster_path(domain, "ZoneAwarenessConfig.AvailabilityZoneCount"))
        count = view.number(domain, cluster_path(domain, "InstanceCount"))
        for name, value in (("ZoneAwarenessEnabled", zone_aware), ("MultiAZWithStandbyEnabled", standby),
                            ("AvailabilityZoneCount", zones), ("InstanceCount", count)):
            if isinstance(value, Unknown):
                yield undetermined(view, domain, name, value)
                break
        else:
            # Without zone awareness the domain sits in one zone and standby's zone and node counts do not
            # apply: CDK sets MultiAZWithStandbyEnabled on every non-t3 domain, single-zone ones included, and
            # those deploy (aws-cdk integ.opensearch.gp3: 1 node, ZoneAwarenessEnabled false).
            if not zone_aware:
                continue
            zones = int(zones) if zones is not None else 2  # the service's default zone count
            count = int(count) if count is not None else 1
            count_path = property_path(cluster_path(domain, "InstanceCount"))
            evidence = {"data_nodes": count, "availability_zones": zones,
                        "multi_az_with_standby": bool(standby)}
            if standby and zones != 3:
                yield violation_or_undetermined(
                    view, domain, f"Multi-AZ with Standby needs AvailabilityZoneCount 3, not {zones}",
                    evidence=evidence,
                    property_path=property_path(cluster_path(domain, "ZoneAwarenessConfig.AvailabilityZoneCount")))
            elif standby and count % 3:
                yield violation_or_undetermined(
                    view, domain, f"Multi-AZ with Standby needs a multiple of three data nodes, not {count}",
                    evidence=evidence, property_path=count_path)
            elif zones == 2 and count % 2:
                yield violation_or_undetermined(
                    view, domain,
                    f"{count} data node{'s' if count != 1 else ''} over 2 availability zones: a two-zone domain "
                    f"needs an even number of data nodes, the create fails",
                    evidence=evidence, property_path=count_path)
            elif zones == 3 and count % 3:
                yield violation_or_undetermined(
                    view, domain,
                    f"{count} data nodes over 3 availability zones cannot be spread evenly; AWS recommends a "
                    f"multiple of three", evidence=evidence, property_path=count_path, severity=Severity.WARNING)
            region_zones = view.env.availability_zones
            if zones == 3 and region_zones is not None and len(region_zones) < 3:
                yield violation_or_undetermined(
                    view, domain, f"AvailabilityZoneCount 3, but region {view.env.region or '(unknown)'} has only "
                          f"{len(region_zones)} availability zones: the create fails",
                    evidence={**evidence, "region_zones": list(region_zones)},
                    property_path=property_path(cluster_path(domain, "ZoneAwarenessConfig.AvailabilityZoneCount")))


RULE = Rule(meta=META, evaluate=evaluate)
