"""CDKC-R3: a DB (cluster) parameter group whose family does not match the engine and major version."""

from __future__ import annotations

import re
from typing import Iterator

from cdkcheck.template.intrinsics import ResourceRef, Unknown, follow
from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined

from cdkcheck_rules.toolkit import Resolution, StackView, undetermined, violation_or_undetermined
from cdkcheck_rules.rds.support import DB_CLUSTER, DB_INSTANCE

PARAMETER_GROUP = "AWS::RDS::DBParameterGroup"
CLUSTER_PARAMETER_GROUP = "AWS::RDS::DBClusterParameterGroup"

META = RuleMeta(
    id="CDKC-R3",
    name="rds-parameter-group-family",
    summary="The parameter group attached to a DB instance or cluster is of another engine or major version.",
    severity=Severity.ERROR,
    resource_types=(DB_INSTANCE, DB_CLUSTER, PARAMETER_GROUP, CLUSTER_PARAMETER_GROUP),
    rationale=(
        "RDS refuses the create: \"The Parameter Group ... with DBParameterGroupFamily postgres16 cannot be used "
        "for this instance. Please use a Parameter Group with DBParameterGroupFamily postgres17\". It typically "
        "happens after an engine upgrade in code that left a hand-written family string behind. cfn-lint checks "
        "that Family is a known name, not that it fits the engine version it is attached to. The family is "
        "derived from the engine and version as RDS names them: postgres17 / aurora-postgresql16 (major "
        "version), mysql8.0 / mariadb10.11 / aurora-mysql8.0 (major.minor), oracle-ee-19, sqlserver-se-16.0, "
        "db2-se-11.5; groups named default.<family> are read from the name."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html",
    fix="Create the parameter group with the family of the engine version (CDK: ParameterGroup(engine=...) with "
        "the same engine object as the database, so the family follows the version).",
    example="DBParameterGroup Family postgres16 attached to a postgres 17.6 instance.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, instance in resolution.resources(DB_INSTANCE):
        yield from _check(view, instance, "DBParameterGroupName", PARAMETER_GROUP, _instance_engine(view, instance))
    for view, cluster in resolution.resources(DB_CLUSTER):
        engine = (view.text(cluster, "Engine"), view.text(cluster, "EngineVersion"))
        yield from _check(view, cluster, "DBClusterParameterGroupName", CLUSTER_PARAMETER_GROUP, engine)


def _instance_engine(view: StackView, instance: Resource) -> tuple:
    engine, version = view.text(instance, "Engine"), view.text(instance, "EngineVersion")
    cluster = follow(view.prop(instance, "DBClusterIdentifier"))
    if cluster is not None and cluster.type == DB_CLUSTER:
        # Aurora members inherit the cluster's engine version when they do not state one.
        engine = engine or view.text(cluster, "Engine")
        version = version or view.text(cluster, "EngineVersion")
    return engine, version


def _check(view: StackView, owner: Resource, group_property: str, group_type: str, engine_version: tuple):
    attached = view.prop(owner, group_property)
    if attached is None:
        return  # RDS uses the default group of the engine version
    if isinstance(attached, Unknown):
        yield undetermined(view, owner, group_property, attached)
        return
    family = _family_of(view, attached, group_type)
    if isinstance(family, Unknown):
        yield Undetermined(view.stack, owner.logical_id, f"{group_property}: {family.reason}")
        return
    engine, version = engine_version
    for what, value in (("Engine", engine), ("EngineVersion", version)):
        if isinstance(value, Unknown):
            yield undetermined(view, owner, what, value)
            return
    if not engine:
        return
    expected = expected_family(engine, version) if version else None
    group_label = attached.logical_id if isinstance(attached, ResourceRef) else str(attached)
    if expected is None:
        # Without a version only the engine part of the family can be compared.
        prefix = _family_engine(family)
        if prefix is not None and prefix != _engine_key(engine):
            yield _mismatch(view, owner, group_property, group_label, family, engine, version,
                            f"a {_engine_key(engine)}* family")
        elif version:
            yield Undetermined(view.stack, owner.logical_id,
                               f"cannot derive the parameter group family of {engine} {version}")
        return
    if family.lower() != expected:
        yield _mismatch(view, owner, group_property, group_label, family, engine, version, expected)


def _mismatch(view, owner, group_property, group_label, family, engine, version, expected) -> Outcome:
    version_text = f" {version}" if version else ""
    return violation_or_undetermined(
        view, owner,
        f"parameter group {group_label} has family {family}, but {engine}{version_text} needs {expected}: "
        f"RDS rejects the create",
        evidence={"parameter_group": group_label, "family": family, "engine": engine,
                  "engine_version": version, "expected_family": expected},
        property_path=f"Properties/{group_property}",
    )


def _family_of(view: StackView, attached, group_type: str) -> str | Unknown:
    if isinstance(attached, ResourceRef):
        group = follow(attached)
        if group is None or group.type != group_type:
            kind = group.type if group is not None else "missing resource"
            return Unknown(f"{attached.logical_id} is a {kind}, not an {group_type}")
        family = view.text(group, "Family")
        if family is None:
            return Unknown(f"{attached.logical_id} has no Family")
        return family
    if isinstance(attached, str):
        if attached.lower().startswith("default."):
            return attached[len("default."):]
        return Unknown(f"existing parameter group {attached}: its family is known only in the account")
    return Unknown(f"{attached!r} does not name a parameter group")


_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?")


def expected_family(engine: str, version: str) -> str | None:
    """The DBParameterGroupFamily RDS requires for an engine and version, or None if not derivable."""
    name = engine.strip().lower()
    match = _VERSION.match(str(version).strip())
    if match is None:
        return None
    major, minor = int(match.group(1)), match.group(2)
    if name in ("postgres", "aurora-postgresql"):
        if major >= 10:
            return f"{name}{major}"
        return f"{name}{major}.{int(minor)}" if minor is not None else None
    if name in ("mysql", "mariadb", "aurora-mysql"):
        return f"{name}{major}.{int(minor)}" if minor is not None else None
    if name == "aurora":
        return "aurora5.6"
    if name.startswith("oracle-"):
        return f"{name}-{major}"
    if name.startswith("sqlserver-"):
        return f"{name}-{major}.0"
    if name.startswith("db2-"):
        return f"{name}-{major}.{int(minor)}" if minor is not None else None
    return None


_FAMILY_ENGINE = re.compile(r"^(.*?)-?\d+(?:\.\d+)?$")


def _family_engine(family: str) -> str | None:
    """"aurora-postgresql16" -> "aurora-postgresql", "oracle-ee-19" -> "oracle-ee", "mysql8.0" -> "mysql"."""
    match = _FAMILY_ENGINE.match(family.strip().lower())
    return match.group(1) if match else None


def _engine_key(engine: str) -> str:
    return engine.strip().lower()


RULE = Rule(meta=META, evaluate=evaluate)
