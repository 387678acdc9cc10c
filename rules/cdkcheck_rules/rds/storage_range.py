"""CDKC-R4: AllocatedStorage outside what RDS accepts for the engine and storage type."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined
from cdkcheck_rules.rds.support import DB_INSTANCE, engine_family, instance_storage_type

META = RuleMeta(
    id="CDKC-R4",
    name="rds-storage-range",
    summary="An RDS DB instance's AllocatedStorage is outside the range its engine and storage type allow.",
    severity=Severity.ERROR,
    resource_types=(DB_INSTANCE,),
    rationale=(
        "RDS rejects CreateDBInstance with InvalidParameterCombination (\"Invalid storage size for engine name "
        "postgres and storage type gp3: 10\") and the stack rolls back; neither CDK nor cfn-lint checks the size "
        "against the engine (cfn-lint only checks that the value is a string of digits). Ranges from the "
        "CreateDBInstance API reference: gp2/gp3 20-65,536 GiB (SQL Server 20-16,384); io1/io2 100-65,536 GiB "
        "(SQL Server 100-16,384); magnetic 5-3,072 GiB for MySQL, MariaDB and PostgreSQL, 10-3,072 for Oracle, "
        "20-1,024 for SQL Server; RDS Custom 40-65,536 GiB (Oracle) and 40-16,384 (SQL Server). Aurora storage "
        "is managed by the cluster and not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    fix="Set AllocatedStorage (CDK: allocatedStorage) inside the range, or choose a storage type that allows the size.",
    example="rds.DatabaseInstance(engine=postgres, storage_type=GP3, allocated_storage=10): the minimum is 20 GiB.",
)

_OPEN_SOURCE = {"gp": (20, 65536), "io": (100, 65536), "standard": (5, 3072)}
# engine family -> storage class -> (minimum GiB, maximum GiB)
STORAGE_RANGES: dict[str, dict[str, tuple[int, int]]] = {
    "mysql": _OPEN_SOURCE,
    "mariadb": _OPEN_SOURCE,
    "postgres": _OPEN_SOURCE,
    "oracle": {"gp": (20, 65536), "io": (100, 65536), "standard": (10, 3072)},
    "sqlserver": {"gp": (20, 16384), "io": (100, 16384), "standard": (20, 1024)},
    "db2": {"gp": (20, 65536), "io": (100, 65536)},
    "custom-oracle": {"gp": (40, 65536), "io": (40, 65536)},
    "custom-sqlserver": {"gp": (40, 16384), "io": (40, 16384)},
}
_STORAGE_CLASS = {"gp2": "gp", "gp3": "gp", "gp2/gp3": "gp", "io1": "io", "io2": "io", "standard": "standard"}
# A DB instance built from these takes its size from the source unless AllocatedStorage says otherwise.
_DERIVED_FROM = ("DBClusterIdentifier",)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, instance in resolution.resources(DB_INSTANCE):
        if any(view.prop(instance, key) is not None for key in _DERIVED_FROM):
            continue  # an Aurora or Multi-AZ cluster member: storage belongs to the cluster
        engine = view.text(instance, "Engine")
        if isinstance(engine, Unknown):
            yield undetermined(view, instance, "Engine", engine)
            continue
        family = engine_family(engine) if engine else None
        if family is None or family not in STORAGE_RANGES:
            continue  # no engine (a replica or restore inherits it) or Aurora: nothing to check here
        storage = view.number(instance, "AllocatedStorage")
        if storage is None:
            continue
        if isinstance(storage, Unknown):
            yield undetermined(view, instance, "AllocatedStorage", storage)
            continue
        storage_type, explicit = instance_storage_type(view, instance)
        if isinstance(storage_type, Unknown):
            yield undetermined(view, instance, "StorageType", storage_type)
            continue
        storage_class = _STORAGE_CLASS.get(storage_type)
        limits = STORAGE_RANGES[family].get(storage_class) if storage_class else None
        if limits is None:
            continue  # a storage type this engine does not offer is a different failure
        low, high = limits
        if low <= storage <= high:
            continue
        type_text = storage_type if explicit else f"{storage_type} (StorageType omitted)"
        yield violation_or_undetermined(
            view, instance,
            f"AllocatedStorage {storage:g} GiB is outside {low}-{high} GiB for engine {engine} on {type_text} "
            f"storage: RDS rejects the create",
            evidence={"engine": engine, "storage_type": storage_type, "allocated_storage_gib": storage,
                      "minimum_gib": low, "maximum_gib": high},
            property_path="Properties/AllocatedStorage",
        )


RULE = Rule(meta=META, evaluate=evaluate)
