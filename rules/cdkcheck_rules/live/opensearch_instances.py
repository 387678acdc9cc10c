"""CDKC-L4: an OpenSearch instance type is not offered for the engine version, or a size is outside its limits.

Asked of OpenSearch Service itself: list_instance_type_details (types on offer
for the engine version in this region) and describe_instance_type_limits
(instance count and EBS size, IOPS and throughput per data instance type).
"""

from __future__ import annotations

from typing import Any, Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import literal, number, require_account, resources_of

META = RuleMeta(
    id="CDKC-L4",
    name="opensearch-instance-offering",
    summary="An OpenSearch instance type is not offered for the domain's engine version in the region, or the "
            "data node count or EBS volume is outside that type's limits.",
    severity=Severity.ERROR,
    resource_types=("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"),
    rationale=(
        "OpenSearch Service refuses a domain whose instance type it does not run for that engine version in "
        "the region ('Invalid instance type: r6gd.4xlarge.elasticsearch'), and EBS sizes, IOPS and throughput "
        "outside the type's limits ('Throughput must be between 250 and 593'). The offerings change by region "
        "and version; the service's own lists decide."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DescribeInstanceTypeLimits.html",
    fix="Choose an instance type listed for the engine version (aws opensearch list-instance-type-details "
        "--engine-version VERSION) and sizes within describe-instance-type-limits.",
    example="OpenSearch_2.17 with t2.small.search data nodes, or gp3 volumes of 2000 GiB on m6g.large.search.",
    needs_live=True,
)

_EBS_LIMITS = (  # template property -> (AWS limit names)
    ("VolumeSize", "MinimumVolumeSize", "MaximumVolumeSize", "GiB"),
    ("Iops", "MinimumIops", "MaximumIops", "IOPS"),
    ("Throughput", "MinimumThroughput", "MaximumThroughput", "MiB/s"),
)


def _layout(ctx: RuleContext, stack: Stack, resource: Resource) -> tuple[str | None, str, list[tuple[str, Any]]]:
    """Engine version, the cluster config key, and (role, instance type) of each node role in use."""
    if resource.type == "AWS::Elasticsearch::Domain":
        version = literal(ctx, stack, resource, "ElasticsearchVersion")
        engine_version = f"Elasticsearch_{version}" if isinstance(version, (str, int, float)) else None
        config = "ElasticsearchClusterConfig"
    else:
        version = literal(ctx, stack, resource, "EngineVersion")
        engine_version = version if isinstance(version, str) else None
        config = "ClusterConfig"
    roles = [("data", literal(ctx, stack, resource, f"{config}.InstanceType"))]
    if literal(ctx, stack, resource, f"{config}.DedicatedMasterEnabled") in (True, "true"):
        roles.append(("dedicated master", literal(ctx, stack, resource, f"{config}.DedicatedMasterType")))
    if literal(ctx, stack, resource, f"{config}.WarmEnabled") in (True, "true"):
        roles.append(("warm", literal(ctx, stack, resource, f"{config}.WarmType")))
    return engine_version, config, roles


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    domains = list(resources_of(ctx, ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain")))
    if not domains:
        return
    require_account(ctx)
    layouts = [(stack, resource, *_layout(ctx, stack, resource)) for stack, resource in domains]
    questions = []
    for _, _, version, _, roles in layouts:
        if version:
            questions.append(("opensearch_instance_types", version))
            data_type = roles[0][1]
            if isinstance(data_type, str):
                questions.append(("opensearch_instance_limits", version, data_type))
    ctx.facts.prefetch(tuple(dict.fromkeys(questions)))
    for stack, resource, version, config, roles in layouts:
        if not version:
            yield Undetermined(stack, resource.logical_id, "the engine version is not known before deploy")
            continue
        try:
            yield from _check(ctx, stack, resource, version, config, roles)
        except FactUnavailable as unavailable:
            yield Undetermined(stack, resource.logical_id, unavailable.reason)


def _check(ctx: RuleContext, stack: Stack, resource: Resource, version: str, config: str,
           roles: list[tuple[str, Any]]) -> Iterator[Outcome]:
    offered = ctx.facts.opensearch_instance_types(version)
    for role, instance_type in roles:
        if not isinstance(instance_type, str):
            yield Undetermined(stack, resource.logical_id, f"the {role} instance type is not known before deploy")
            continue
        if instance_type not in offered:
            similar = sorted(t for t in offered if t.split(".")[0] == instance_type.split(".")[0])[:6]
            yield Violation(stack=stack, logical_id=resource.logical_id,
                            message=f"{role} instance type {instance_type} is not offered for {version} in this "
                                    "region" + (f" (offered in that family: {', '.join(similar)})" if similar else ""),
                            evidence={"engine_version": version, "instance_type": instance_type, "role": role,
                                      "offered_count": len(offered),
                                      "source": "opensearch.list_instance_type_details"},
                            property_path=f"Properties.{config}")
    data_type = roles[0][1]
    if isinstance(data_type, str) and data_type in offered:
        yield from _limits(ctx, stack, resource, version, config, data_type)


def _limits(ctx: RuleContext, stack: Stack, resource: Resource, version: str, config: str,
            data_type: str) -> Iterator[Outcome]:
    limits = ctx.facts.opensearch_instance_limits(version, data_type)
    source = "opensearch.describe_instance_type_limits"
    count = number(ctx, stack, resource, f"{config}.InstanceCount", default=1)
    if (limits.min_instances is not None and count < limits.min_instances) or \
            (limits.max_instances is not None and count > limits.max_instances):
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"{count:g} {data_type} data nodes is outside {limits.min_instances}-"
                                f"{limits.max_instances} allowed for {version}",
                        evidence={"instance_type": data_type, "instance_count": count,
                                  "min": limits.min_instances, "max": limits.max_instances, "source": source},
                        property_path=f"Properties.{config}.InstanceCount")
    if literal(ctx, stack, resource, "EBSOptions.EBSEnabled") not in (True, "true"):
        return
    volume_type = literal(ctx, stack, resource, "EBSOptions.VolumeType") or "gp2"
    storage = limits.storage.get(f"ebs/{volume_type}")
    if storage is None:
        if limits.storage and not any(k.startswith("ebs") for k in limits.storage):
            yield Violation(stack=stack, logical_id=resource.logical_id,
                            message=f"{data_type} does not take EBS volumes (storage: "
                                    f"{', '.join(sorted(limits.storage))})",
                            evidence={"instance_type": data_type, "storage": sorted(limits.storage), "source": source},
                            property_path="Properties.EBSOptions")
        return
    for prop, low_name, high_name, unit in _EBS_LIMITS:
        value = number(ctx, stack, resource, f"EBSOptions.{prop}")
        low, high = storage.get(low_name), storage.get(high_name)
        if value is None or (low is None and high is None):
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            yield Violation(stack=stack, logical_id=resource.logical_id,
                            message=f"EBS {prop} {value:g} {unit} is outside {low:g}-{high:g} {unit} for {volume_type} "
                                    f"on {data_type}" if low is not None and high is not None else
                                    f"EBS {prop} {value:g} {unit} is outside the limits for {volume_type} on {data_type}",
                            evidence={"instance_type": data_type, "volume_type": volume_type, "property": prop,
                                      "value": value, "min": low, "max": high, "source": source},
                            property_path=f"Properties.EBSOptions.{prop}")


RULE = Rule(meta=META, evaluate=evaluate)
