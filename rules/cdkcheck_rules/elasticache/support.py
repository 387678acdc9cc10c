"""Reading ElastiCache clusters and replication groups: engine, version, node type, node counts.

AWS::ElastiCache::CacheCluster is one cluster of one engine (a Valkey/Redis OSS
cluster is a single node; Memcached takes up to 40). AWS::ElastiCache::ReplicationGroup
is Valkey or Redis OSS only: a primary with replicas, or with cluster mode enabled
several shards (node groups) of a primary and replicas each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from cdkcheck.template.intrinsics import ResourceRef, Unknown, as_number, follow
from cdkcheck.model import Resource

from cdkcheck_rules.toolkit import StackView

CACHE_CLUSTER = "AWS::ElastiCache::CacheCluster"
REPLICATION_GROUP = "AWS::ElastiCache::ReplicationGroup"
PARAMETER_GROUP = "AWS::ElastiCache::ParameterGroup"
CACHE_TYPES = (CACHE_CLUSTER, REPLICATION_GROUP)

KEY_VALUE_ENGINES = ("redis", "valkey")
MEMCACHED = "memcached"

DOCS = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg"


def engine(view: StackView, resource: Resource) -> str | Unknown | None:
    """Lower-case engine name; a ReplicationGroup without Engine is Redis OSS (the API default)."""
    text = view.text(resource, "Engine")
    if isinstance(text, Unknown):
        return text
    if text is None:
        return "redis" if resource.type == REPLICATION_GROUP else None
    return text.strip().lower()


@dataclass(frozen=True)
class CacheVersion:
    """"7.1" -> (7, 1); "6.x" -> (6, None): the service picks the newest minor of that major."""

    raw: str
    parts: tuple[int | None, ...]

    def at_least(self, *minimum: int) -> bool:
        for have, want in zip(self.parts + (0,) * (len(minimum) - len(self.parts)), minimum):
            if have is None:  # "6.x": the newest minor of the major, at least any minimum within it
                return True
            if have != want:
                return have > want
        return True

    def __str__(self) -> str:
        return self.raw


_VERSION_PART = re.compile(r"^(\d+|x)$", re.IGNORECASE)


def engine_version(view: StackView, resource: Resource) -> CacheVersion | Unknown | None:
    """None when EngineVersion is not written: the service then uses its newest version."""
    text = view.text(resource, "EngineVersion")
    if text is None or isinstance(text, Unknown):
        return text
    pieces = text.strip().split(".")
    if not pieces or not all(_VERSION_PART.match(p) for p in pieces) or pieces[0].lower() == "x":
        return Unknown(f"EngineVersion {text!r} is not a version this check understands")
    return CacheVersion(text.strip(), tuple(None if p.lower() == "x" else int(p) for p in pieces))


@dataclass(frozen=True)
class NodeType:
    """"cache.r6g.large" -> family "r6g", size "large"."""

    raw: str
    family: str
    size: str


def node_type(view: StackView, resource: Resource) -> NodeType | Unknown | None:
    text = view.text(resource, "CacheNodeType")
    if text is None or isinstance(text, Unknown):
        return text
    parts = text.strip().lower().split(".")
    if len(parts) != 3 or parts[0] != "cache":
        return NodeType(text.strip(), "", "")  # not a node type name: no family, and offered nowhere
    return NodeType(text.strip(), parts[1], parts[2])


# ---------------------------------------------------------- replication groups


@dataclass(frozen=True)
class GroupShape:
    """How many nodes each shard of a replication group has, and whether cluster mode may be on."""

    nodes_per_shard: int
    counted_from: str  # the property the count was read from, for messages and property paths
    cluster_mode: bool | Unknown  # True: enabled or compatible; an Unknown names why it is not known


def group_shape(view: StackView, group: Resource) -> GroupShape | Unknown:
    clusters = view.number(group, "NumCacheClusters")
    replicas = view.number(group, "ReplicasPerNodeGroup")
    shards = view.prop(group, "NodeGroupConfiguration")
    for name, value in (("NumCacheClusters", clusters), ("ReplicasPerNodeGroup", replicas),
                        ("NodeGroupConfiguration", shards)):
        if isinstance(value, Unknown):
            return Unknown(f"{name}: {value.reason}")
    if clusters is not None:
        nodes, source = int(clusters), "NumCacheClusters"
    elif replicas is not None:
        nodes, source = 1 + int(replicas), "ReplicasPerNodeGroup"
    elif isinstance(shards, list) and shards:
        replicas = _replicas_of_shard(shards[0])
        if isinstance(replicas, Unknown):
            return replicas
        nodes, source = 1 + replicas, "NodeGroupConfiguration"
    else:
        nodes, source = 1, "NumCacheClusters"  # the API default: a primary alone
    return GroupShape(nodes, source, cluster_mode(view, group, shards))


def _replicas_of_shard(shard: Any) -> int | Unknown:
    """ReplicaCount, else one replica per zone in ReplicaAvailabilityZones, else none."""
    if isinstance(shard, Unknown):
        return Unknown(f"NodeGroupConfiguration: {shard.reason}")
    if not isinstance(shard, Mapping):
        return Unknown("NodeGroupConfiguration holds something that is not a node group")
    count = shard.get("ReplicaCount")
    if isinstance(count, Unknown):
        return Unknown(f"NodeGroupConfiguration ReplicaCount: {count.reason}")
    if count is not None:
        number = as_number(count)
        return int(number) if number is not None else Unknown(f"ReplicaCount {count!r} is not a number")
    zones = shard.get("ReplicaAvailabilityZones")
    if isinstance(zones, Unknown):
        return Unknown(f"NodeGroupConfiguration ReplicaAvailabilityZones: {zones.reason}")
    return len(zones) if isinstance(zones, list) else 0


def cluster_mode(view: StackView, group: Resource, shards: Any = None) -> bool | Unknown:
    mode = view.text(group, "ClusterMode")
    if isinstance(mode, Unknown):
        return Unknown(f"ClusterMode: {mode.reason}")
    if mode is not None:
        return mode.strip().lower() in ("enabled", "compatible")
    node_groups = view.number(group, "NumNodeGroups")
    if isinstance(node_groups, Unknown):
        return Unknown(f"NumNodeGroups: {node_groups.reason}")
    if (node_groups or 1) > 1 or (isinstance(shards, list) and len(shards) > 1):
        return True
    return _parameter_group_enables_cluster_mode(view, group)


def _parameter_group_enables_cluster_mode(view: StackView, group: Resource) -> bool | Unknown:
    raw = view.prop(group, "CacheParameterGroupName")
    if raw is None:
        return False  # the engine's default group: cluster mode off
    if isinstance(raw, Unknown):
        return Unknown(f"CacheParameterGroupName: {raw.reason}")
    if isinstance(raw, ResourceRef):
        declared = follow(raw)
        if declared is None or declared.type != PARAMETER_GROUP:
            return Unknown(f"CacheParameterGroupName refers to {raw.logical_id}, not a parameter group")
        settings = declared.properties.get("Properties") if isinstance(declared.properties, Mapping) else None
        value = settings.get("cluster-enabled") if isinstance(settings, Mapping) else None
        return isinstance(value, str) and value.strip().lower() == "yes"
    if isinstance(raw, str):
        if raw.startswith("default."):
            return raw.endswith(".cluster.on")  # e.g. default.redis7.cluster.on
        return Unknown(f"parameter group {raw} exists outside the template; whether it enables cluster "
                       f"mode is not known")
    return Unknown("CacheParameterGroupName is not a name")


# ------------------------------------------------------------- node types


@lru_cache(maxsize=1)
def offered_node_types() -> Mapping[str, frozenset[str]]:
    """Node types per region from cfn-lint's pricing-derived data (behind its E3647 for CacheCluster)."""
    from cdkcheck.template.resource_schemas import cfn_lint_data_dir

    # Read from cfn-lint's data directory: importing cfn-lint costs half a second of every warm run.
    data = cfn_lint_data_dir()
    if data is None:
        raise RuntimeError("cfn-lint's data directory was not found: is cfn-lint installed?")
    path = data / "schemas" / "extensions" / "aws_elasticache_cachecluster" / "cachenodetype_enum.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {region: frozenset(entry["enum"]) for region, entry in raw.items()
            if isinstance(entry, Mapping) and isinstance(entry.get("enum"), list)}
