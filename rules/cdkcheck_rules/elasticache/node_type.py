"""CDKC-E4: an ElastiCache node type the engine, engine version, resource type or region does not offer."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact

from cdkcheck_rules.elasticache.support import (
    CACHE_CLUSTER,
    NodeType,
    CACHE_TYPES,
    DOCS,
    KEY_VALUE_ENGINES,
    MEMCACHED,
    REPLICATION_GROUP,
    engine,
    engine_version,
    node_type,
    offered_node_types,
)
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

DATA_TIERING_FAMILIES = ("r6gd",)
GRAVITON2_FAMILIES = ("m6g", "r6g", "t4g")  # Redis OSS 5.0.6+, Memcached 1.5.16+
GRAVITON2_MINIMUM = {"redis": (5, 0, 6), MEMCACHED: (1, 5, 16)}
DATA_TIERING_REDIS_MINIMUM = (6, 2)

META = RuleMeta(
    id="CDKC-E4",
    name="elasticache-node-type",
    summary="An ElastiCache node type the engine, engine version, resource type or region does not offer "
            "(r6gd data tiering rules, Graviton2 minimum versions, a ReplicationGroup node type not sold in "
            "the region, a Memcached replication group).",
    severity=Severity.ERROR,
    resource_types=CACHE_TYPES,
    rationale=(
        "r6gd nodes tier data to SSD: they are offered only to Valkey or Redis OSS 6.2+ replication groups, "
        "which must then set DataTieringEnabled true; DataTieringEnabled with any other node type fails too. "
        "M6g, R6g and T4g nodes need Redis OSS 5.0.6+ or Memcached 1.5.16+. A ReplicationGroup's engine must "
        "be valkey or redis. The node types sold per region come from the pricing data cfn-lint ships (its "
        "E3647 applies them to CacheCluster only; this rule applies them to ReplicationGroup too); previous "
        "generations (T1, M1, M2, M3, C1, R3) are not in that data, and creating new clusters on them is not "
        "supported. Only written engine versions are compared: without EngineVersion the service uses its "
        "newest version."
    ),
    docs_url=f"{DOCS}/CacheNodes.SupportedTypes.html",
    fix="Pick a node type listed for the region and engine (cache.r7g/m7g/t4g ...); use r6gd only in a Valkey "
        "or Redis OSS 6.2+ replication group with data_tiering_enabled=True; set engine to valkey or redis on "
        "replication groups.",
    example="CfnReplicationGroup(cache_node_type=\"cache.r6gd.xlarge\", engine=\"redis\", engine_version=\"6.0\").",
    facts=(
        SourcedFact("Data tiering is only supported for replication groups using the r6gd node type, and "
                    "DataTieringEnabled must be true when using r6gd nodes.",
                    "botocore elasticache CreateReplicationGroup DataTieringEnabled"),
        SourcedFact("r6gd data tiering needs Valkey or Redis OSS 6.2 and later.",
                    f"{DOCS}/data-tiering.html, {DOCS}/SelectEngine.html"),
        SourcedFact("M6g, R6g and T4g node types: Redis OSS 5.0.6 onward, Memcached 1.5.16 onward; previous "
                    "generations do not support creating new clusters.",
                    "botocore elasticache CacheNode (node type list)"),
        SourcedFact("A replication group's Engine must be valkey or redis.",
                    "botocore elasticache CreateReplicationGroup Engine"),
        SourcedFact("Node types offered per region.",
                    "cfn-lint data/schemas/extensions/aws_elasticache_cachecluster/cachenodetype_enum.json "
                    "(from the AWS pricing API)"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, resource in resolution.resources(*CACHE_TYPES):
        group = resource.type == REPLICATION_GROUP
        node = node_type(view, resource)
        tiering = view.flag(resource, "DataTieringEnabled", default=False) if group else False
        name = engine(view, resource)
        # The engine matters for every replication group (it must be valkey or redis) and for the node
        # families with engine rules; the version only for those families.
        versioned = isinstance(node, NodeType) and node.family in DATA_TIERING_FAMILIES + GRAVITON2_FAMILIES
        version = engine_version(view, resource) if versioned else None
        needed = [("CacheNodeType", node), ("DataTieringEnabled", tiering), ("EngineVersion", version)]
        if group or versioned:
            needed.append(("Engine", name))
        unknown = next(((w, v) for w, v in needed if isinstance(v, Unknown)), None)
        if unknown is not None:
            yield undetermined(view, resource, *unknown)
            continue
        name = None if isinstance(name, Unknown) else name
        for message, path, evidence in _problems(resource.type, name, node, version, tiering, ctx.environment.region):
            yield violation_or_undetermined(view, resource, message, evidence=evidence,
                                            property_path=f"Properties/{path}")


def _problems(resource_type, name, node, version, tiering, region):
    evidence = {"resource_type": resource_type, "engine": name, "node_type": node.raw if node else None,
                "engine_version": str(version) if version else None}
    if resource_type == REPLICATION_GROUP and name is not None and name not in KEY_VALUE_ENGINES:
        yield (f"a ReplicationGroup's engine must be valkey or redis, not {name}", "Engine", evidence)
        return
    if node is not None:
        tiered = node.family in DATA_TIERING_FAMILIES
        if tiered and resource_type == CACHE_CLUSTER:
            yield (f"{node.raw} (data tiering) is offered only to Valkey/Redis OSS replication groups, not to a "
                   f"CacheCluster", "CacheNodeType", evidence)
        elif tiered and not tiering:
            yield (f"{node.raw} nodes require DataTieringEnabled true", "DataTieringEnabled", evidence)
        elif tiered and name == "redis" and version is not None and not version.at_least(*DATA_TIERING_REDIS_MINIMUM):
            yield (f"{node.raw} (data tiering) needs Redis OSS 6.2 or later, not {version}", "EngineVersion", evidence)
        minimum = GRAVITON2_MINIMUM.get(name) if node.family in GRAVITON2_FAMILIES else None
        if minimum and version is not None and not version.at_least(*minimum):
            yield (f"{node.raw} needs {name} {'.'.join(map(str, minimum))} or later, not {version}",
                   "EngineVersion", evidence)
        if resource_type == REPLICATION_GROUP:  # cfn-lint's E3647 already covers CacheCluster
            yield from _regional(node, region, evidence)
    if tiering and (node is None or node.family not in DATA_TIERING_FAMILIES):
        yield (f"DataTieringEnabled is true, but data tiering is only supported on r6gd nodes, not "
               f"{node.raw if node else 'the default node type'}", "DataTieringEnabled", evidence)


def _regional(node, region, evidence):
    offered = offered_node_types()
    normalized = node.raw.lower()
    if region in offered:
        if normalized not in offered[region]:
            yield (f"{node.raw} is not offered in {region}", "CacheNodeType", {**evidence, "region": region})
    elif not any(normalized in types for types in offered.values()):
        yield (f"{node.raw} is not offered in any region", "CacheNodeType", evidence)


RULE = Rule(meta=META, evaluate=evaluate)
