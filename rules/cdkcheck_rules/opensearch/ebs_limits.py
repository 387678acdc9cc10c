"""CDKC-O3: an EBS volume size the data-node instance type does not accept."""

from __future__ import annotations

import re
from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES, cluster_path, instance_type, property_path
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

MIN_VOLUME_GIB = 10
MAGNETIC_MAX_GIB = 100
T = 1024  # GiB per TiB
# Maximum EBS volume size per data node in GiB: (gp2, gp3); gp3 None = not offered on the type.
# From the "EBS volume size quotas" table of the OpenSearch Service developer guide.
MAX_VOLUME_GIB: dict[str, tuple[int, int | None]] = {
    "t2.micro": (35, None), "t2.small": (35, None), "t2.medium": (35, None),
    "t3.small": (100, 100), "t3.medium": (200, 200),
    "m3.medium": (100, None), "m3.large": (512, None), "m3.xlarge": (512, None), "m3.2xlarge": (512, None),
    "m4.large": (512, None), "m4.xlarge": (T, None), "m4.2xlarge": (1536, None), "m4.4xlarge": (1536, None),
    "m4.10xlarge": (1536, None),
    "m5.large": (512, T), "m5.xlarge": (T, 2 * T), "m5.2xlarge": (1536, 3 * T), "m5.4xlarge": (3 * T, 6 * T),
    "m5.12xlarge": (9 * T, 18 * T),
    "m6g.large": (512, T), "m6g.xlarge": (T, 2 * T), "m6g.2xlarge": (1536, 3 * T), "m6g.4xlarge": (3 * T, 6 * T),
    "m6g.8xlarge": (6 * T, 12 * T), "m6g.12xlarge": (9 * T, 18 * T),
    "c4.large": (100, None), "c4.xlarge": (512, None), "c4.2xlarge": (T, None), "c4.4xlarge": (1536, None),
    "c4.8xlarge": (1536, None),
    "c5.large": (256, 256), "c5.xlarge": (512, 512), "c5.2xlarge": (T, T), "c5.4xlarge": (1536, 1536),
    "c5.9xlarge": (3584, 3584), "c5.18xlarge": (7 * T, 7 * T),
    "c6g.large": (256, 256), "c6g.xlarge": (512, 512), "c6g.2xlarge": (T, T), "c6g.4xlarge": (1536, 1536),
    "c6g.8xlarge": (3 * T, 3 * T), "c6g.12xlarge": (4608, 4608),
    "r3.large": (512, None), "r3.xlarge": (512, None), "r3.2xlarge": (512, None), "r3.4xlarge": (512, None),
    "r3.8xlarge": (512, None),
    "r4.large": (T, None), "r4.xlarge": (1536, None), "r4.2xlarge": (1536, None), "r4.4xlarge": (1536, None),
    "r4.8xlarge": (1536, None), "r4.16xlarge": (1536, None),
    "r5.large": (T, 2 * T), "r5.xlarge": (1536, 3 * T), "r5.2xlarge": (3 * T, 6 * T), "r5.4xlarge": (6 * T, 12 * T),
    "r5.12xlarge": (12 * T, 24 * T),
    "r6g.large": (T, 2 * T), "r6g.xlarge": (1536, 3 * T), "r6g.2xlarge": (3 * T, 6 * T),
    "r6g.4xlarge": (6 * T, 12 * T), "r6g.8xlarge": (8 * T, 16 * T), "r6g.12xlarge": (12 * T, 24 * T),
    "i2.xlarge": (512, None), "i2.2xlarge": (512, None),
}
_GRAVITON = re.compile(r"^[a-z]+\d+gd?$")  # m6g, r6gd, c7g ...: no magnetic volumes
_MAGNETIC_OTHER_LIMIT = ("t2.small", "t2.medium")  # the table's exceptions to the 100 GiB magnetic cap

META = RuleMeta(
    id="CDKC-O3",
    name="opensearch-ebs-volume-size",
    summary="An OpenSearch domain's EBS volume size or type is outside what its data-node instance type allows.",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "Each data-node instance type has a minimum (10 GiB) and a maximum EBS volume size per node, larger "
        "for gp3 than for gp2; previous-generation types offer no gp3; magnetic volumes stop at 100 GiB and are "
        "not offered on Graviton types. Outside these the create fails with a ValidationException. The "
        "maxima come from the developer guide's \"EBS volume size quotas\" table (static, for the listed "
        "types); other types are reported as not determinable here and are checked live with "
        "describe_instance_type_limits. cfn-lint and CDK do not check sizes against the instance type."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource",
    fix="Choose a VolumeSize within the instance type's limit, a larger instance type, gp3 on a current-generation "
        "type, or more data nodes.",
    example="t3.small.search data nodes with a 200 GiB gp3 volume (t3.small allows 100 GiB).",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        ebs = view.flag(domain, "EBSOptions.EBSEnabled")
        size = view.number(domain, "EBSOptions.VolumeSize")
        volume_type = view.text(domain, "EBSOptions.VolumeType")
        data = instance_type(view.text(domain, cluster_path(domain, "InstanceType")))
        for name, value in (("EBSEnabled", ebs), ("VolumeSize", size), ("VolumeType", volume_type),
                            ("InstanceType", data)):
            if isinstance(value, Unknown):
                yield undetermined(view, domain, name, value)
                break
        else:
            if ebs is not True or size is None:
                continue
            volume_type = volume_type.lower() if volume_type else None
            evidence = {"volume_size_gib": size, "volume_type": volume_type or "(default)",
                        "instance_type": data.raw if data else None}
            size_path = property_path("EBSOptions.VolumeSize")
            if size < MIN_VOLUME_GIB:
                yield violation_or_undetermined(
                    view, domain, f"EBS VolumeSize {size:g} GiB is below the minimum of {MIN_VOLUME_GIB} GiB",
                    evidence={**evidence, "minimum_gib": MIN_VOLUME_GIB}, property_path=size_path)
                continue
            if data is None:
                continue  # the service's default instance type: not judged here
            yield from _against_type(view, domain, data, size, volume_type, evidence, size_path)


def _against_type(view, domain, data, size, volume_type, evidence, size_path):
    key = f"{data.family}.{data.size}"
    type_path = property_path("EBSOptions.VolumeType")
    if volume_type == "standard":
        if _GRAVITON.match(data.family):
            yield violation_or_undetermined(
                view, domain, f"magnetic (standard) EBS volumes are not offered on {data.raw} (Graviton)",
                evidence=evidence, property_path=type_path)
        elif size > MAGNETIC_MAX_GIB and key not in _MAGNETIC_OTHER_LIMIT:
            yield violation_or_undetermined(
                view, domain, f"magnetic (standard) EBS volumes stop at {MAGNETIC_MAX_GIB} GiB; VolumeSize is "
                              f"{size:g} GiB", evidence={**evidence, "maximum_gib": MAGNETIC_MAX_GIB},
                property_path=size_path)
        return
    if volume_type not in (None, "gp2", "gp3"):
        return  # io1 limits are not in the static table
    limits = MAX_VOLUME_GIB.get(key)
    if limits is None:
        yield Undetermined(view.stack, domain.logical_id,
                           f"no static EBS size limit for {data.raw}; the live check reads it from the account")
        return
    gp2_max, gp3_max = limits
    if volume_type == "gp3" and gp3_max is None:
        yield violation_or_undetermined(
            view, domain, f"gp3 volumes are not offered on {data.raw} (previous generation); use gp2 or a "
                          f"current-generation type", evidence=evidence, property_path=type_path)
        return
    # Without an explicit type, only the larger of the two limits is certain.
    maximum = gp3_max if volume_type == "gp3" else gp2_max if volume_type == "gp2" else max(gp2_max, gp3_max or 0)
    if size > maximum:
        yield violation_or_undetermined(
            view, domain, f"EBS VolumeSize {size:g} GiB exceeds the {maximum:,} GiB maximum of "
                          f"{volume_type or 'EBS'} volumes on {data.raw}",
            evidence={**evidence, "maximum_gib": maximum}, property_path=size_path)


RULE = Rule(meta=META, evaluate=evaluate)
