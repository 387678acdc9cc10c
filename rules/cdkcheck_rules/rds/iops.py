"""CDKC-R5: provisioned IOPS and throughput that RDS refuses for the storage type and size."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.toolkit import Resolution, StackView, undetermined, violation_or_undetermined
from cdkcheck_rules.rds.support import DB_INSTANCE, engine_family, instance_storage_type

META = RuleMeta(
    id="CDKC-R5",
    name="rds-iops",
    summary="RDS Iops / StorageThroughput missing where required, set where not allowed, or out of range.",
    severity=Severity.ERROR,
    resource_types=(DB_INSTANCE,),
    rationale=(
        "RDS rejects these creates with InvalidParameterCombination and the stack rolls back; cfn-lint and CDK "
        "check none of them. io1/io2 need Iops (\"The storage type io1 requires iops to be specified\"), 1,000-"
        "256,000 IOPS (SQL Server 64,000), and an IOPS:GiB ratio from 0.5 (SQL Server 1) up to 50 for io1 (the "
        "CreateDBInstance reference). gp3 has a fixed baseline below a size threshold (400 GiB for Db2, MariaDB, "
        "MySQL and PostgreSQL, 200 GiB for Oracle): Iops or StorageThroughput there fail with \"You can't specify "
        "IOPS or storage throughput for engine postgres and a storage size less than 400.\" From the threshold "
        "up, gp3 takes 12,000-64,000 IOPS and 500-4,000 MiB/s; SQL Server (no striping) takes 3,000-16,000 IOPS "
        "and 125-1,000 MiB/s at any size; throughput may be at most 0.25 MiB/s per IOPS. io2 allows ratios far "
        "above 50, so only its lower bound is checked; the ratio against MaxAllocatedStorage is not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html",
    fix=("Omit Iops/StorageThroughput on gp3 below the threshold (the baseline 3,000 IOPS / 125 MiB/s applies), "
         "raise AllocatedStorage to the threshold, or keep the values inside the documented ranges."),
    example="gp3, AllocatedStorage 200, Iops 12000 on PostgreSQL: below 400 GiB the IOPS cannot be provisioned.",
)

PROVISIONED_IOPS_RANGE = {"default": (1000, 256000), "sqlserver": (1000, 64000)}
IO1_RATIO = {"default": (0.5, 50.0), "sqlserver": (1.0, 50.0)}
GP3_THRESHOLD_GIB = {"mysql": 400, "mariadb": 400, "postgres": 400, "db2": 400, "oracle": 200, "sqlserver": 0}
GP3_IOPS_RANGE = {"default": (12000, 64000), "sqlserver": (3000, 16000)}
GP3_THROUGHPUT_RANGE = {"default": (500, 4000), "sqlserver": (125, 1000)}
GP3_MAX_THROUGHPUT_PER_IOPS = 0.25


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, instance in resolution.resources(DB_INSTANCE):
        if view.prop(instance, "DBClusterIdentifier") is not None:
            continue  # cluster members take storage from the cluster
        engine = view.text(instance, "Engine")
        if isinstance(engine, Unknown):
            yield undetermined(view, instance, "Engine", engine)
            continue
        family = engine_family(engine) if engine else None
        if family is None or family == "aurora" or family.startswith("custom-"):
            continue
        storage_type, _ = instance_storage_type(view, instance)
        if isinstance(storage_type, Unknown):
            yield undetermined(view, instance, "StorageType", storage_type)
            continue
        if storage_type in ("io1", "io2"):
            yield from _provisioned(view, instance, engine, family, storage_type)
        elif storage_type == "gp3":
            yield from _gp3(view, instance, engine, family)


def _key(family: str) -> str:
    return "sqlserver" if family == "sqlserver" else "default"


def _provisioned(view: StackView, instance: Resource, engine: str, family: str, storage_type: str):
    iops = view.number(instance, "Iops")
    if isinstance(iops, Unknown):
        yield undetermined(view, instance, "Iops", iops)
        return
    if iops is None:
        yield violation_or_undetermined(
            view, instance, f"StorageType {storage_type} requires Iops, and none is set: RDS rejects the create",
            evidence={"engine": engine, "storage_type": storage_type}, property_path="Properties/Iops")
        return
    low, high = PROVISIONED_IOPS_RANGE[_key(family)]
    if not low <= iops <= high:
        yield violation_or_undetermined(
            view, instance, f"Iops {iops:g} is outside {low:,}-{high:,} for {engine} on {storage_type}",
            evidence={"engine": engine, "storage_type": storage_type, "iops": iops, "minimum": low, "maximum": high},
            property_path="Properties/Iops")
        return
    storage = view.number(instance, "AllocatedStorage")
    if storage is None:
        return
    if isinstance(storage, Unknown):
        yield undetermined(view, instance, "AllocatedStorage (for the IOPS:GiB ratio)", storage)
        return
    if storage <= 0:
        return
    min_ratio, max_ratio = IO1_RATIO[_key(family)]
    ratio = iops / storage
    too_high = storage_type == "io1" and ratio > max_ratio
    if ratio < min_ratio or too_high:
        bound = f"at most {max_ratio:g}" if too_high else f"at least {min_ratio:g}"
        yield violation_or_undetermined(
            view, instance,
            f"Iops {iops:g} on {storage:g} GiB is {ratio:.2f} IOPS per GiB; {engine} on {storage_type} needs {bound}",
            evidence={"engine": engine, "storage_type": storage_type, "iops": iops, "allocated_storage_gib": storage,
                      "iops_per_gib": round(ratio, 3), "minimum_ratio": min_ratio,
                      "maximum_ratio": max_ratio if storage_type == "io1" else None},
            property_path="Properties/Iops")


def _gp3(view: StackView, instance: Resource, engine: str, family: str):
    iops = view.number(instance, "Iops")
    throughput = view.number(instance, "StorageThroughput")
    for name, value in (("Iops", iops), ("StorageThroughput", throughput)):
        if isinstance(value, Unknown):
            yield undetermined(view, instance, name, value)
            return
    if iops is None and throughput is None:
        return  # the baseline applies: always accepted
    storage = view.number(instance, "AllocatedStorage")
    if isinstance(storage, Unknown):
        yield undetermined(view, instance, "AllocatedStorage (for the gp3 threshold)", storage)
        return
    threshold = GP3_THRESHOLD_GIB.get(family)
    if threshold is None or storage is None:
        return
    given = {k: v for k, v in (("Iops", iops), ("StorageThroughput", throughput)) if v is not None}
    if storage < threshold:
        names = " and ".join(given)
        yield violation_or_undetermined(
            view, instance,
            f"{names} set on gp3 with AllocatedStorage {storage:g} GiB: {engine} accepts provisioned IOPS or "
            f"throughput on gp3 only from {threshold} GiB",
            evidence={"engine": engine, "storage_type": "gp3", "allocated_storage_gib": storage,
                      "threshold_gib": threshold, **{k.lower(): v for k, v in given.items()}},
            property_path=f"Properties/{next(iter(given))}")
        return
    key = _key(family)
    for name, value, (low, high), unit in (("Iops", iops, GP3_IOPS_RANGE[key], "IOPS"),
                                           ("StorageThroughput", throughput, GP3_THROUGHPUT_RANGE[key], "MiB/s")):
        if value is not None and not low <= value <= high:
            yield violation_or_undetermined(
                view, instance, f"{name} {value:g} {unit} is outside {low:,}-{high:,} for {engine} on gp3 "
                                f"at {storage:g} GiB",
                evidence={"engine": engine, "storage_type": "gp3", "allocated_storage_gib": storage,
                          name.lower(): value, "minimum": low, "maximum": high},
                property_path=f"Properties/{name}")
    if iops and throughput is not None and throughput / iops > GP3_MAX_THROUGHPUT_PER_IOPS:
        yield violation_or_undetermined(
            view, instance, f"StorageThroughput {throughput:g} MiB/s over Iops {iops:g} is "
                            f"{throughput / iops:.4f} MiB/s per IOPS; gp3 allows at most {GP3_MAX_THROUGHPUT_PER_IOPS}",
            evidence={"iops": iops, "storage_throughput": throughput, "ratio": round(throughput / iops, 4),
                      "maximum_ratio": GP3_MAX_THROUGHPUT_PER_IOPS},
            property_path="Properties/StorageThroughput")


RULE = Rule(meta=META, evaluate=evaluate)
