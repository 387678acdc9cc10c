"""CDKC-L3: the RDS engine version or instance class is not on offer in the region.

Asked of RDS itself: describe_db_engine_versions (does the version exist,
is it deprecated) and describe_orderable_db_instance_options (engine +
version + class, Multi-AZ, storage type and size), the lists RDS checks a
create against.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.template.intrinsics import ResourceRef
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import deployed_logical_ids, literal, require_account, resources_of

META = RuleMeta(
    id="CDKC-L3",
    name="rds-orderable",
    summary="The DB engine version does not exist or is deprecated, or the instance class, Multi-AZ or "
            "storage type is not orderable for that engine version in the region.",
    severity=Severity.ERROR,
    resource_types=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
    rationale=(
        "RDS rejects a create whose combination it does not sell: 'RDS does not support creating a DB instance "
        "with the following combination: DBInstanceClass=..., Engine=..., EngineVersion=...' "
        "(InvalidParameterCombination), 'Cannot find version 12.9 for postgres', and deprecated minor versions "
        "cannot create new instances. Offerings differ by region and change over time, so static tables "
        "(cfn-lint's pricing data) miss cases; the region's own lists decide."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html",
    fix="Pick an engine version RDS lists as available and an instance class offered for it in this region "
        "(aws rds describe-orderable-db-instance-options --engine ENGINE --engine-version VERSION).",
    example="postgres 17.6 on db.t2.micro: the t2 classes are not offered for PostgreSQL 17.",
    needs_live=True,
)


def _engine_and_version(ctx: RuleContext, stack: Stack, resource: Resource) -> tuple[str | None, str | None]:
    engine = literal(ctx, stack, resource, "Engine")
    version = literal(ctx, stack, resource, "EngineVersion")
    cluster = literal(ctx, stack, resource, "DBClusterIdentifier")
    if isinstance(cluster, ResourceRef) and cluster.resource is not None:
        engine = engine or literal(ctx, stack, cluster.resource, "Engine")
        version = version or literal(ctx, stack, cluster.resource, "EngineVersion")
    engine = engine.lower() if isinstance(engine, str) else None
    return engine, (str(version) if isinstance(version, (str, int, float)) else None)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    instances = list(resources_of(ctx, ("AWS::RDS::DBInstance",)))
    clusters = list(resources_of(ctx, ("AWS::RDS::DBCluster",)))
    if not instances and not clusters:
        return
    require_account(ctx)
    checks = []
    for stack, resource in [*instances, *clusters]:
        engine, version = _engine_and_version(ctx, stack, resource)
        instance_class = literal(ctx, stack, resource, "DBInstanceClass") if resource.type == "AWS::RDS::DBInstance" \
            else None
        if engine is None:
            yield Undetermined(stack, resource.logical_id, "the engine is not known before deploy")
            continue
        checks.append((stack, resource, engine, version, instance_class if isinstance(instance_class, str) else None))
    questions = [("rds_engine_version", e, v) for _, _, e, v, _ in checks if v]
    questions += [("rds_orderable", e, v, c) for _, _, e, v, c in checks if c]
    ctx.facts.prefetch(tuple(dict.fromkeys(questions)))
    for stack, resource, engine, version, instance_class in checks:
        is_new = resource.logical_id not in deployed_logical_ids(ctx, stack)
        try:
            yield from _version(stack, resource, engine, version, is_new, ctx)
            if resource.type == "AWS::RDS::DBInstance":
                if instance_class is None:
                    yield Undetermined(stack, resource.logical_id, "the instance class is not known before deploy")
                    continue
                yield from _orderable(ctx, stack, resource, engine, version, instance_class)
        except FactUnavailable as unavailable:
            yield Undetermined(stack, resource.logical_id, unavailable.reason)


def _version(stack, resource, engine, version, is_new, ctx) -> Iterator[Outcome]:
    if not version:
        return  # RDS picks its default version: nothing to check
    found = ctx.facts.rds_engine_version(engine, version)
    if found is None:
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"RDS has no {engine} version {version} in this region",
                        evidence={"engine": engine, "engine_version": version,
                                  "source": "rds.describe_db_engine_versions (IncludeAll)"},
                        property_path="Properties.EngineVersion")
    elif found.status != "available":
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"{engine} {version} is {found.status}: "
                                + ("new DB instances cannot be created with it" if is_new
                                   else "upgrade before RDS upgrades it for you"),
                        evidence={"engine": engine, "engine_version": version, "status": found.status,
                                  "source": "rds.describe_db_engine_versions"},
                        property_path="Properties.EngineVersion",
                        severity=None if is_new else Severity.WARNING)


def _orderable(ctx: RuleContext, stack: Stack, resource: Resource, engine: str, version: str | None,
               instance_class: str) -> Iterator[Outcome]:
    options = ctx.facts.rds_orderable(engine, version, instance_class)
    where = f"{engine} {version or '(default version)'}"
    evidence = {"engine": engine, "engine_version": version, "instance_class": instance_class,
                "source": "rds.describe_orderable_db_instance_options (Vpc=true)"}
    if not options:
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"{instance_class} is not orderable for {where} in this region",
                        evidence=evidence, property_path="Properties.DBInstanceClass")
        return
    if literal(ctx, stack, resource, "MultiAZ") in (True, "true") and not any(o.multi_az_capable for o in options):
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"{instance_class} with {where} is not offered Multi-AZ in this region",
                        evidence=evidence, property_path="Properties.MultiAZ")
    if literal(ctx, stack, resource, "DBClusterIdentifier"):
        return  # Aurora: storage belongs to the cluster
    storage_type = literal(ctx, stack, resource, "StorageType")
    storage_type = storage_type if isinstance(storage_type, str) else ("io1" if resource.properties.get("Iops")
                                                                        else "gp2")
    matching = [o for o in options if o.storage_type == storage_type]
    if not matching:
        offered = sorted({o.storage_type for o in options})
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"storage type {storage_type} is not offered for {instance_class} with {where} "
                                f"(offered: {', '.join(offered)})",
                        evidence={**evidence, "storage_type": storage_type, "offered": offered},
                        property_path="Properties.StorageType")
        return
    # Storage size ranges are CDKC-R4's (static, per engine and storage type).


RULE = Rule(meta=META, evaluate=evaluate)
