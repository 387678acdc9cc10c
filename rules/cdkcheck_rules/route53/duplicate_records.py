"""CDKC-N1: two record sets of the environment create the same name and type in one hosted zone."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact
from cdkcheck.template.intrinsics import ResourceRef, Unknown, follow
from cdkcheck_rules.toolkit import Resolution, StackView, violation_or_undetermined

RECORD = "AWS::Route53::RecordSet"
GROUP = "AWS::Route53::RecordSetGroup"

META = RuleMeta(
    id="CDKC-N1",
    name="route53-duplicate-record",
    summary="Two record sets create the same name and type in the same hosted zone.",
    severity=Severity.ERROR,
    resource_types=(RECORD, GROUP),
    rationale=(
        "A hosted zone holds one record set per name and type (per SetIdentifier for weighted, latency, "
        "failover, geolocation and multivalue records). The second create fails with 'Tried to create resource "
        "record set [name='www.example.com.', type='A'] but it already exists' (InvalidChangeBatch). Record sets "
        "of all selected stacks are compared: the zone by the HostedZone resource or id they name (or the zone "
        "name), the record name case-insensitively with or without the trailing dot. Names or zones known only "
        "at deploy time are not compared."
    ),
    docs_url="https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html",
    fix="Give each record its own name (or one record with several values), or routing-policy records distinct "
        "SetIdentifiers; drop the record one of the constructs creates for you.",
    example="ARecord(zone=zone, record_name='www', target=alb) beside ARecord(zone=zone, record_name='www', "
            "target=cloudfront).",
    facts=(
        SourcedFact("one record set per name and type (and SetIdentifier) in a hosted zone",
                    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-creating.html"),
        SourcedFact("the second create fails: 'Tried to create resource record set ... but it already exists'",
                    "https://github.com/aws-quickstart/quickstart-drupal/issues/24"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    seen: dict[tuple, list[tuple[StackView, Resource, str]]] = defaultdict(list)
    for view, resource in resolution.resources(RECORD, GROUP):
        if resource.type == RECORD:
            entries = [("", resource.properties, view.prop(resource, "HostedZoneId"),
                        view.prop(resource, "HostedZoneName"))]
        else:
            sets = view.prop(resource, "RecordSets")
            zone_id, zone_name = view.prop(resource, "HostedZoneId"), view.prop(resource, "HostedZoneName")
            entries = [(f"RecordSets/{i}/", s, s.get("HostedZoneId", zone_id), s.get("HostedZoneName", zone_name))
                       for i, s in enumerate(sets if isinstance(sets, list) else []) if isinstance(s, dict)]
        for where, props, zone_id, zone_name in entries:
            key = _key(view, resource, props, zone_id, zone_name)
            if key is not None:
                seen[key].append((view, resource, where))
    for key, records in seen.items():
        first_view, first, _ = records[0]
        for view, resource, where in records[1:]:
            name, kind = key[1], key[2]
            yield violation_or_undetermined(
                view, resource,
                f"record {name}. {kind} is also created by {first.construct_path or first.logical_id} in the same "
                "hosted zone: the second create fails ('Tried to create resource record set ... but it already "
                "exists')",
                evidence={"name": name + ".", "type": kind, "zone": key[0][1], "first": first.logical_id},
                property_path=f"Properties/{where}Name")


def _key(view: StackView, resource: Resource, props: dict, zone_id: Any, zone_name: Any) -> tuple | None:
    name = view.value(props.get("Name")) if resource.type == GROUP else view.prop(resource, "Name")
    kind = view.value(props.get("Type")) if resource.type == GROUP else view.prop(resource, "Type")
    identifier = view.value(props.get("SetIdentifier")) if resource.type == GROUP else view.prop(resource,
                                                                                                  "SetIdentifier")
    if not isinstance(name, str) or not isinstance(kind, str) or isinstance(identifier, Unknown):
        return None
    zone = _zone(zone_id, zone_name)
    if zone is None:
        return None
    normalized = name.replace("\\052", "*").rstrip(".").lower()
    return zone, normalized, kind.upper(), identifier if isinstance(identifier, str) else None


def _zone(zone_id: Any, zone_name: Any) -> tuple | None:
    zone = follow(zone_id)
    if isinstance(zone_id, ResourceRef) and zone is not None:
        return ("resource", zone.logical_id, id(zone_id.template))
    if isinstance(zone_id, str) and zone_id:
        return ("id", zone_id.rsplit("/", 1)[-1])
    if zone_id is None and isinstance(zone_name, str) and zone_name:
        return ("name", zone_name.rstrip(".").lower())
    return None


RULE = Rule(meta=META, evaluate=evaluate)
