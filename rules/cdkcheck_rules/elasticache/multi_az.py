"""CDKC-E3: ElastiCache Multi-AZ without what it needs (automatic failover; a Memcached engine for AZMode)."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact

from cdkcheck_rules.elasticache.support import (
    CACHE_CLUSTER,
    CACHE_TYPES,
    DOCS,
    KEY_VALUE_ENGINES,
    REPLICATION_GROUP,
    engine,
)
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

META = RuleMeta(
    id="CDKC-E3",
    name="elasticache-multi-az",
    summary="An ElastiCache replication group with MultiAZEnabled but no automatic failover, or a Valkey/Redis "
            "OSS CacheCluster with AZMode cross-az.",
    severity=Severity.ERROR,
    resource_types=CACHE_TYPES,
    rationale=(
        "Multi-AZ on a replication group is failover to a replica in another zone: MultiAZEnabled true needs "
        "AutomaticFailoverEnabled true (default false), and the create fails otherwise. AZMode (single-az / "
        "cross-az) is a Memcached-only CacheCluster setting; a Valkey or Redis OSS cluster is one node in one "
        "zone. Neither CDK (no ElastiCache L2) nor cfn-lint checks these. A replication group with automatic "
        "failover but a single node is CDKC-E2's to report."
    ),
    docs_url=f"{DOCS}/AutoFailover.html",
    fix="Set automatic_failover_enabled=True (with at least one replica) wherever multi_az_enabled=True; drop "
        "az_mode on Valkey/Redis OSS clusters.",
    example="CfnReplicationGroup(multi_az_enabled=True, num_cache_clusters=2) without automatic_failover_enabled.",
    facts=(
        SourcedFact("MultiAZEnabled true requires AutomaticFailoverEnabled true (Multi-AZ fails over to a "
                    "replica in another zone).",
                    f"{DOCS}/AutoFailover.html, "
                    "https://github.com/hashicorp/terraform-provider-aws/issues/25831, "
                    "https://pub.dev/documentation/pulumi_aws/latest/elasticache/ReplicationGroup/"
                    "multiAzEnabled.html"),
        SourcedFact("AutomaticFailoverEnabled defaults to false.",
                    "botocore elasticache CreateReplicationGroup AutomaticFailoverEnabled"),
        SourcedFact("AZMode is only supported for Memcached clusters.",
                    "botocore elasticache CreateCacheCluster AZMode"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, resource in resolution.resources(*CACHE_TYPES):
        if resource.type == REPLICATION_GROUP:
            multi_az = view.flag(resource, "MultiAZEnabled", default=False)
            failover = view.flag(resource, "AutomaticFailoverEnabled", default=False)
            for what, value in (("MultiAZEnabled", multi_az), ("AutomaticFailoverEnabled", failover)):
                if isinstance(value, Unknown):
                    yield undetermined(view, resource, what, value)
                    break
            else:
                if multi_az and not failover:
                    yield violation_or_undetermined(
                        view, resource, "MultiAZEnabled is true but AutomaticFailoverEnabled is not: Multi-AZ "
                                        "requires automatic failover, the create fails",
                        evidence={"multi_az": True, "automatic_failover": False},
                        property_path="Properties/AutomaticFailoverEnabled")
        elif resource.type == CACHE_CLUSTER:
            mode = view.text(resource, "AZMode")
            if isinstance(mode, Unknown):
                yield undetermined(view, resource, "AZMode", mode)
                continue
            if mode is None or mode.strip().lower() != "cross-az":
                continue
            name = engine(view, resource)
            if isinstance(name, Unknown):
                yield undetermined(view, resource, "Engine", name)
            elif name in KEY_VALUE_ENGINES:
                yield violation_or_undetermined(
                    view, resource, f"AZMode cross-az is a Memcached setting; a {name} CacheCluster is one "
                                    f"node in one zone (use a ReplicationGroup with MultiAZEnabled)",
                    evidence={"engine": name, "az_mode": mode}, property_path="Properties/AZMode")


RULE = Rule(meta=META, evaluate=evaluate)
