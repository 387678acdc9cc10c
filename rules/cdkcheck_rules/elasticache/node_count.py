"""CDKC-E2: ElastiCache node counts the settings do not allow (failover on one node, a multi-node Redis cluster)."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined

from cdkcheck_rules.elasticache.support import (
    CACHE_CLUSTER,
    CACHE_TYPES,
    DOCS,
    KEY_VALUE_ENGINES,
    REPLICATION_GROUP,
    engine,
    group_shape,
)
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

META = RuleMeta(
    id="CDKC-E2",
    name="elasticache-node-count",
    summary="An ElastiCache replication group with automatic failover but a single node, or a Valkey/Redis OSS "
            "CacheCluster with more than one node.",
    severity=Severity.ERROR,
    resource_types=CACHE_TYPES,
    rationale=(
        "Automatic failover promotes a replica, so a replication group with cluster mode disabled and "
        "AutomaticFailoverEnabled needs at least two nodes (NumCacheClusters >= 2, or ReplicasPerNodeGroup / "
        "NodeGroupConfiguration ReplicaCount >= 1): otherwise the create fails with \"When using automatic "
        "failover, there must be at least 2 cache clusters in the replication group\". With cluster mode "
        "enabled, failover is required and shards without replicas are accepted, so those are not reported; "
        "when cluster mode depends on a parameter group outside the template the result is UNKNOWN. A Valkey "
        "or Redis OSS CacheCluster is a single node: NumCacheNodes must be 1 (replicas need a replication "
        "group). cfn-lint's E3026 checks only the cluster-mode-enabled case, and the CDK has no ElastiCache L2."
    ),
    docs_url=f"{DOCS}/AutoFailover.html",
    fix="Give the group a replica (num_cache_clusters=2, or replicas_per_node_group=1) or set "
        "automatic_failover_enabled=False; for more than one Valkey/Redis OSS node use a CfnReplicationGroup.",
    example="CfnReplicationGroup(automatic_failover_enabled=True, num_cache_clusters=1, ...).",
    facts=(
        SourcedFact("If AutomaticFailoverEnabled is true, NumCacheClusters must be at least 2; it defaults to 1.",
                    "botocore elasticache CreateReplicationGroup NumCacheClusters"),
        SourcedFact("The error: \"When using automatic failover, there must be at least 2 cache clusters in the "
                    "replication group.\" (InvalidParameterCombination).",
                    "https://github.com/hashicorp/terraform/issues/25077"),
        SourcedFact("AutomaticFailoverEnabled must be enabled for cluster mode enabled replication groups.",
                    "botocore elasticache CreateReplicationGroup AutomaticFailoverEnabled"),
        SourcedFact("With cluster mode enabled, shards without replicas are accepted (num_node_groups=1, "
                    "replicas_per_node_group=0 with automatic failover).",
                    "https://github.com/hashicorp/terraform-provider-aws/issues/39271, "
                    "https://github.com/hashicorp/terraform-provider-aws/issues/17376"),
        SourcedFact("For Valkey or Redis OSS clusters NumCacheNodes must be 1 (Memcached: 1 to 40).",
                    "botocore elasticache CreateCacheCluster NumCacheNodes"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, resource in resolution.resources(*CACHE_TYPES):
        if resource.type == CACHE_CLUSTER:
            yield from _cache_cluster(view, resource)
        elif resource.type == REPLICATION_GROUP:
            yield from _replication_group(view, resource)


def _cache_cluster(view, cluster) -> Iterator[Outcome]:
    nodes = view.number(cluster, "NumCacheNodes")
    if isinstance(nodes, Unknown):
        yield undetermined(view, cluster, "NumCacheNodes", nodes)
        return
    if nodes is None or int(nodes) <= 1:
        return
    name = engine(view, cluster)
    if isinstance(name, Unknown):
        yield undetermined(view, cluster, "Engine", name)
    elif name in KEY_VALUE_ENGINES:
        yield violation_or_undetermined(
            view, cluster, f"a {name} CacheCluster is a single node, but NumCacheNodes is {int(nodes)}: use a "
                           f"ReplicationGroup for replicas", evidence={"engine": name, "num_cache_nodes": int(nodes)},
            property_path="Properties/NumCacheNodes")


def _replication_group(view, group) -> Iterator[Outcome]:
    failover = view.flag(group, "AutomaticFailoverEnabled", default=False)
    if isinstance(failover, Unknown):
        yield undetermined(view, group, "AutomaticFailoverEnabled", failover)
        return
    if not failover:
        return
    shape = group_shape(view, group)
    if isinstance(shape, Unknown):
        yield Undetermined(view.stack, group.logical_id, shape.reason)
        return
    if shape.nodes_per_shard >= 2 or shape.cluster_mode is True:
        return
    message = (f"automatic failover needs at least 2 nodes (a primary and a replica); {shape.counted_from} gives "
               f"{shape.nodes_per_shard}")
    if isinstance(shape.cluster_mode, Unknown):
        yield Undetermined(view.stack, group.logical_id,
                           f"if cluster mode is disabled: {message} ({shape.cluster_mode.reason})")
        return
    yield violation_or_undetermined(
        view, group, message + ": the create fails",
        evidence={"automatic_failover": True, "nodes": shape.nodes_per_shard, "counted_from": shape.counted_from},
        property_path=f"Properties/{shape.counted_from}")


RULE = Rule(meta=META, evaluate=evaluate)
