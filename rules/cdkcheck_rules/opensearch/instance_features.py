"""CDKC-O2: a feature the domain's instance family does not offer."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.opensearch.support import (
    DOMAIN_TYPES,
    OPENSEARCH_DOMAIN,
    cluster_path,
    instance_type,
    property_path,
)
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

NO_ENCRYPTION_AT_REST = ("m3", "r3", "t2")
NO_FINE_GRAINED_ACCESS_CONTROL = ("r3", "t2")
NO_EBS = ("i3", "r6gd", "i4g", "i4i", "i8g", "im4gn", "r7gd", "r8gd", "oi2")  # instance storage only
INSTANCE_STORAGE = NO_EBS + ("r3",)  # families that run without EBS
BURSTABLE = ("t2", "t3")
BURSTABLE_MASTER_MAX_DATA_NODES = 10
T2_MAX_INSTANCES = 10

META = RuleMeta(
    id="CDKC-O2",
    name="opensearch-instance-features",
    summary="An OpenSearch domain asks for a feature its instance family does not support (encryption at rest, "
            "fine-grained access control, EBS, UltraWarm, Multi-AZ with Standby, T2/T3 limits).",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "From the supported-instance-types page and the service quotas: M3, R3 and T2 have no encryption at "
        "rest; R3 and T2 no fine-grained access control; I3, R6GD and the other instance-storage families "
        "(I4G, I4I, I8G, IM4GN, R7GD, R8GD, OI2) take no EBS volumes, and every other family needs EBS; "
        "UltraWarm needs dedicated masters and no T2/T3 data nodes; T3 has no Multi-AZ with Standby; T2/T3 "
        "dedicated masters are allowed only with at most 10 data nodes; a domain holds at most 10 T2 "
        "instances. The create fails in each case. CDK's Domain throws on most of these at synth, not for "
        "CfnDomain or escape hatches; cfn-lint checks instance type names only (E3653 needs the live offering)."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-types.html",
    fix="Choose a current-generation instance family (m6g, r6g, c6g, m7g, r7g ...) for data and master nodes, "
        "or drop the feature the family lacks.",
    example="CfnDomain with t2.small.search data nodes and encryption_at_rest_options={enabled: True}.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        cluster = lambda name: cluster_path(domain, name)  # noqa: E731
        values = {
            "data": instance_type(view.text(domain, cluster("InstanceType"))),
            "masters_enabled": view.flag(domain, cluster("DedicatedMasterEnabled"), default=False),
            "master": instance_type(view.text(domain, cluster("DedicatedMasterType"))),
            "data_count": view.number(domain, cluster("InstanceCount")),
            "master_count": view.number(domain, cluster("DedicatedMasterCount")),
            "warm": view.flag(domain, cluster("WarmEnabled"), default=False),
            "standby": (view.flag(domain, cluster("MultiAZWithStandbyEnabled"), default=False)
                        if domain.type == OPENSEARCH_DOMAIN else False),
            "encryption": view.flag(domain, "EncryptionAtRestOptions.Enabled", default=False),
            "fgac": view.flag(domain, "AdvancedSecurityOptions.Enabled", default=False),
            "ebs": view.flag(domain, "EBSOptions.EBSEnabled"),
        }
        unknown = next(((k, v) for k, v in values.items() if isinstance(v, Unknown)), None)
        if unknown is not None:
            yield undetermined(view, domain, unknown[0], unknown[1])
            continue
        for message, path, evidence in _problems(domain, cluster, values):
            yield violation_or_undetermined(view, domain, message, evidence=evidence,
                                            property_path=property_path(path))


def _problems(domain, cluster, v):
    data, master = v["data"], v["master"] if v["masters_enabled"] else None
    data_count = int(v["data_count"]) if v["data_count"] is not None else 1
    master_count = int(v["master_count"]) if v["master_count"] is not None else 3
    roles = [(role, t) for role, t in (("data", data), ("dedicated master", master)) if t is not None]
    for role, t in roles:
        if v["encryption"] and t.family in NO_ENCRYPTION_AT_REST:
            yield (f"{t.raw} {role} nodes do not support encryption at rest (M3, R3 and T2 do not)",
                   "EncryptionAtRestOptions.Enabled", {"instance_type": t.raw, "role": role})
        if v["fgac"] and t.family in NO_FINE_GRAINED_ACCESS_CONTROL:
            yield (f"{t.raw} {role} nodes do not support fine-grained access control (R3 and T2 do not)",
                   "AdvancedSecurityOptions.Enabled", {"instance_type": t.raw, "role": role})
    if data is not None:
        if v["ebs"] is True and data.family in NO_EBS:
            yield (f"{data.raw} uses instance storage and takes no EBS volumes, but EBSEnabled is true",
                   "EBSOptions.EBSEnabled", {"instance_type": data.raw})
        if v["ebs"] is False and data.family not in INSTANCE_STORAGE:
            yield (f"{data.raw} has no instance storage: EBS volumes are required, but EBSEnabled is false",
                   "EBSOptions.EBSEnabled", {"instance_type": data.raw})
        if v["warm"] and data.family in BURSTABLE:
            yield (f"UltraWarm is not available with {data.raw} (T2/T3) data nodes", cluster("WarmEnabled"),
                   {"instance_type": data.raw})
        if v["standby"] and data.family == "t3":
            yield (f"Multi-AZ with Standby is not available with {data.raw} (T3) data nodes",
                   cluster("MultiAZWithStandbyEnabled"), {"instance_type": data.raw})
    if v["warm"] and not v["masters_enabled"]:
        yield ("UltraWarm requires dedicated master nodes, and DedicatedMasterEnabled is not true",
               cluster("DedicatedMasterEnabled"), {"warm_enabled": True, "dedicated_masters": False})
    if master is not None and master.family in BURSTABLE and data_count > BURSTABLE_MASTER_MAX_DATA_NODES:
        yield (f"{master.raw} (T2/T3) dedicated masters are allowed only with at most "
               f"{BURSTABLE_MASTER_MAX_DATA_NODES} data nodes; the domain has {data_count}",
               cluster("DedicatedMasterType"), {"master_type": master.raw, "data_nodes": data_count,
                                                 "maximum_data_nodes": BURSTABLE_MASTER_MAX_DATA_NODES})
    t2_instances = (data_count if data is not None and data.family == "t2" else 0) + \
        (master_count if master is not None and master.family == "t2" else 0)
    if t2_instances > T2_MAX_INSTANCES:
        yield (f"{t2_instances} T2 instances in one domain; at most {T2_MAX_INSTANCES} are allowed (fixed quota)",
               cluster("InstanceCount"), {"t2_instances": t2_instances, "maximum": T2_MAX_INSTANCES})


RULE = Rule(meta=META, evaluate=evaluate)
