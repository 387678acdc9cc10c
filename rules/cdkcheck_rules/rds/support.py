"""RDS engine names and storage types, shared by the RDS rules."""

from __future__ import annotations

from cdkcheck.model import Resource
from cdkcheck.template.intrinsics import Unknown
from cdkcheck_rules.toolkit import StackView


DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"


def engine_family(engine: str) -> str | None:
    """Group RDS engine names by the storage rules they share; None for names RDS does not have."""
    name = engine.strip().lower()
    if name.startswith("aurora"):
        return "aurora"
    if name.startswith("custom-oracle"):
        return "custom-oracle"
    if name.startswith("custom-sqlserver"):
        return "custom-sqlserver"
    if name in ("mysql", "mariadb", "postgres"):
        return name
    if name.startswith("oracle-"):
        return "oracle"
    if name.startswith("sqlserver-"):
        return "sqlserver"
    if name.startswith("db2-"):
        return "db2"
    return None


def instance_storage_type(view: StackView, instance: Resource) -> tuple[str | Unknown, bool]:
    """(storage type, whether it was written explicitly).

    When StorageType is omitted RDS uses io1 if Iops is given, otherwise a
    General Purpose type; the GP defaults share their size limits.
    """
    written = view.text(instance, "StorageType")
    if isinstance(written, Unknown):
        return written, True
    if written:
        return written.strip().lower(), True
    iops = view.prop(instance, "Iops")
    if isinstance(iops, Unknown):
        return Unknown(f"StorageType is omitted and Iops is unknown ({iops.reason})"), False
    return ("io1" if iops is not None else "gp2/gp3"), False
