"""CDKC-O11: Multi-AZ with Standby without its prerequisites (dedicated masters, instance families, engine)."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact

from cdkcheck_rules.opensearch.support import (
    OPENSEARCH_DOMAIN,
    cluster_path,
    engine_version,
    instance_type,
    property_path,
)
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

STANDBY_MASTERS = 3
# Families that existed when AWS listed the ones Standby works with (m5, c5, r5, r6g, c6g, m6g, r6gd, i3)
# and were left out: burstable and previous generations. Newer families are not judged here.
NO_STANDBY = ("t2", "t3", "m3", "r3", "i2", "c4", "m4", "r4")
DATA_FAMILIES_REPORTED_ELSEWHERE = ("t3",)  # CDKC-O2 reports T3 data nodes with Standby
STANDBY_VOLUME_TYPES = ("gp3",)  # or instance-store (SSD-backed) families, which take no EBS volume

MULTIAZ_DOCS = "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html"

META = RuleMeta(
    id="CDKC-O11",
    name="opensearch-standby-prerequisites",
    summary="An OpenSearch domain with Multi-AZ with Standby but without dedicated master nodes (three), on an "
            "instance family that has no Standby, or on an engine older than OpenSearch 1.3.",
    severity=Severity.ERROR,
    resource_types=(OPENSEARCH_DOMAIN,),
    rationale=(
        "Multi-AZ with Standby keeps one of three zones as a standby: it needs dedicated master nodes (the "
        "create fails with \"You must turn on dedicated master nodes for domains with standby\"; AWS documents "
        "three, one per zone), data and master nodes of a family that offers it (not T2/T3 burstable or "
        "previous-generation M3/R3/I2/C4/M4/R4 instances), and OpenSearch 1.3 or later. CDK turns Standby on "
        "by default under the @aws-cdk/aws-opensearchservice:enableOpensearchMultiAzWithStandby flag (set by "
        "`cdk init`), so a Domain without masters fails at deploy; CDK itself only refuses T3 at synth. "
        "The other prerequisites are reported by CDKC-O5 (three zones, a multiple of three data nodes) and "
        "CDKC-O2 (T3 data nodes). A master count other than three, and EBS volumes other than gp3 (AWS "
        "announced Standby for gp3 or SSD-backed instances; CDK's Domain defaults to gp2), are warnings."
    ),
    docs_url=MULTIAZ_DOCS,
    fix="Enable three dedicated master nodes (CDK: capacity.masterNodes=3 with a current-generation "
        "masterNodeInstanceType), use current-generation data nodes, OpenSearch 1.3+; or set "
        "capacity.multiAzWithStandbyEnabled=False.",
    example="Domain(capacity=CapacityConfig(data_nodes=3, multi_az_with_standby_enabled=True), "
            "zone_awareness=ZoneAwarenessConfig(availability_zone_count=3)) without master_nodes.",
    facts=(
        SourcedFact("Multi-AZ with Standby needs three Availability Zones, dedicated master nodes (three) and "
                    "a multiple of three data nodes.", MULTIAZ_DOCS),
        SourcedFact("Prerequisites at launch: OpenSearch 1.3 or above, three Availability Zones, three (or a "
                    "multiple of three) data nodes, three dedicated master nodes; gp3 or SSD-backed instances.",
                    "https://aws.amazon.com/blogs/big-data/amazon-opensearch-service-now-supports-99-99-"
                    "availability-using-multi-az-with-standby/, "
                    "https://www.infoq.com/news/2023/05/aws-opensearch-multi-az/"),
        SourcedFact("\"Multi-AZ with Standby only works with the m5, c5, r5, r6g, c6g, m6g, r6gd and i3 "
                    "instance types\" (the list when CDK added its T3 check; newer families joined later).",
                    "https://github.com/aws/aws-cdk/pull/29607"),
        SourcedFact("T3 instance types can be used only if the domain is provisioned without standby.",
                    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-"
                    "types.html"),
        SourcedFact("CDK's ENABLE_OPENSEARCH_MULTIAZ_WITH_STANDBY flag makes multiAzWithStandbyEnabled default "
                    "to true.", "https://github.com/aws/aws-cdk/issues/26026"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(OPENSEARCH_DOMAIN):
        cluster = lambda name: cluster_path(domain, name)  # noqa: E731
        standby = view.flag(domain, cluster("MultiAZWithStandbyEnabled"), default=False)
        zone_aware = view.flag(domain, cluster("ZoneAwarenessEnabled"), default=False)
        unknown = next(((k, v) for k, v in (("MultiAZWithStandbyEnabled", standby),
                                            ("ZoneAwarenessEnabled", zone_aware)) if isinstance(v, Unknown)), None)
        if unknown is not None:
            yield undetermined(view, domain, *unknown)
            continue
        # Standby only takes effect on a zone-aware domain: CDK sets MultiAZWithStandbyEnabled on every non-t3
        # domain, single-zone ones without masters included, and those deploy (aws-cdk integ.opensearch.gp3).
        if not standby or not zone_aware:
            continue
        values = {
            "DedicatedMasterEnabled": view.flag(domain, cluster("DedicatedMasterEnabled"), default=False),
            "DedicatedMasterCount": view.number(domain, cluster("DedicatedMasterCount")),
            "InstanceType": instance_type(view.text(domain, cluster("InstanceType"))),
            "DedicatedMasterType": instance_type(view.text(domain, cluster("DedicatedMasterType"))),
            "EngineVersion": engine_version(view, domain),
        }
        unknown = next(((k, v) for k, v in values.items() if isinstance(v, Unknown)), None)
        if unknown is not None:
            yield undetermined(view, domain, *unknown)
            continue
        # Only an advisory depends on the volume type: an unknown one is left unreported rather than UNKNOWN.
        ebs, volume = view.flag(domain, "EBSOptions.EBSEnabled"), view.text(domain, "EBSOptions.VolumeType")
        values["EBSEnabled"] = ebs if ebs is True else False
        values["VolumeType"] = volume if isinstance(volume, str) else None
        for message, path, evidence, severity in _problems(values):
            yield violation_or_undetermined(view, domain, message, evidence=evidence, severity=severity,
                                            property_path=property_path(path if path.split(".")[0] in
                                                                        ("EngineVersion", "EBSOptions")
                                                                        else cluster(path)))


def _problems(v):
    masters_enabled = bool(v["DedicatedMasterEnabled"])
    if not masters_enabled:
        yield ("Multi-AZ with Standby needs dedicated master nodes, and DedicatedMasterEnabled is not true "
               "(\"You must turn on dedicated master nodes for domains with standby\")",
               "DedicatedMasterEnabled", {"multi_az_with_standby": True, "dedicated_masters": False}, None)
    elif v["DedicatedMasterCount"] is not None and int(v["DedicatedMasterCount"]) != STANDBY_MASTERS:
        count = int(v["DedicatedMasterCount"])
        yield (f"Multi-AZ with Standby is documented with {STANDBY_MASTERS} dedicated master nodes (one per "
               f"zone); the domain asks for {count}", "DedicatedMasterCount",
               {"dedicated_masters": count, "expected": STANDBY_MASTERS}, Severity.WARNING)
    data, master = v["InstanceType"], v["DedicatedMasterType"] if masters_enabled else None
    if data is not None and data.family in NO_STANDBY and data.family not in DATA_FAMILIES_REPORTED_ELSEWHERE:
        yield (f"Multi-AZ with Standby is not available with {data.raw} data nodes (no T2/T3 or previous "
               f"generation)", "InstanceType", {"instance_type": data.raw, "role": "data"}, None)
    if master is not None and master.family in NO_STANDBY:
        yield (f"Multi-AZ with Standby is not available with {master.raw} dedicated masters (no T2/T3 or "
               f"previous generation)", "DedicatedMasterType", {"instance_type": master.raw, "role": "master"}, None)
    volume = (v["VolumeType"] or "").strip().lower()
    if v["EBSEnabled"] and volume and volume not in STANDBY_VOLUME_TYPES:
        yield (f"Multi-AZ with Standby was announced for gp3 volumes or SSD-backed instances; this domain uses "
               f"{volume} EBS volumes", "EBSOptions.VolumeType", {"volume_type": volume}, Severity.WARNING)
    version = v["EngineVersion"]
    if version is not None and not version.at_least("OpenSearch", 1, 3):
        yield (f"Multi-AZ with Standby needs OpenSearch 1.3 or later, not {version}", "EngineVersion",
               {"engine_version": str(version)}, None)


RULE = Rule(meta=META, evaluate=evaluate)
