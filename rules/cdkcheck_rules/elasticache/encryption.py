"""CDKC-E1: ElastiCache encryption or AUTH settings the resource type, engine or version does not take."""

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
    MEMCACHED,
    REPLICATION_GROUP,
    engine,
    engine_version,
)
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

MEMCACHED_TLS_MINIMUM = (1, 6, 12)

META = RuleMeta(
    id="CDKC-E1",
    name="elasticache-encryption-support",
    summary="ElastiCache in-transit/at-rest encryption or an AUTH token where the resource type, engine or "
            "engine version does not support it (Redis/Valkey CacheCluster with TLS, AuthToken without TLS).",
    severity=Severity.ERROR,
    resource_types=CACHE_TYPES,
    rationale=(
        "A Valkey or Redis OSS AWS::ElastiCache::CacheCluster with TransitEncryptionEnabled fails the create "
        "with \"Encryption feature is not supported for engine REDIS\" (InvalidParameterCombination): "
        "in-transit encryption on a single cluster is a Memcached feature (1.6.12 and later); Valkey and Redis "
        "OSS take it on a ReplicationGroup, which is also where at-rest encryption and AuthToken live (the "
        "CacheCluster schema has neither, so cfn-lint's E3002 reports them there). On a ReplicationGroup, AuthToken is accepted only with "
        "TransitEncryptionEnabled true (default false), and both encryption features need Redis OSS 3.2.6 or "
        "4.0.10 and later (every Valkey version has them). The CDK has no L2 for ElastiCache, so these come "
        "from CfnCacheCluster/CfnReplicationGroup and no synth-time check sees them; cfn-lint checks engine "
        "versions of CacheCluster only (E3695) and that Valkey groups set TransitEncryptionEnabled (E3704)."
    ),
    docs_url=f"{DOCS}/in-transit-encryption.html",
    fix="For TLS on Valkey/Redis OSS use a CfnReplicationGroup (one node is fine: num_cache_clusters=1) with "
        "transit_encryption_enabled=True; set transit_encryption_enabled=True wherever auth_token is set; "
        "use Memcached 1.6.12 or later for TLS on a CacheCluster.",
    example="CfnCacheCluster(engine=\"redis\", num_cache_nodes=1, transit_encryption_enabled=True).",
    facts=(
        SourcedFact("TransitEncryptionEnabled on a Redis OSS CacheCluster fails: \"Encryption feature is not "
                    "supported for engine REDIS\".",
                    "https://github.com/aws/aws-cdk/issues/27379, "
                    "https://github.com/hashicorp/terraform-provider-aws/issues/49066"),
        SourcedFact("In-transit encryption: replication groups running Valkey 7.2+, Redis OSS 3.2.6 / 4.0.10+; "
                    "cache clusters running Memcached 1.6.12+.",
                    f"{DOCS}/in-transit-encryption.html#in-transit-encryption-constraints"),
        SourcedFact("Encryption features need Memcached 1.6.12+, Valkey 7.2+, Redis OSS 3.2.6 or 4.0.10+.",
                    f"{DOCS}/encryption.html"),
        SourcedFact("AuthToken can be specified only on replication groups where TransitEncryptionEnabled is "
                    "true; TransitEncryptionEnabled defaults to false.",
                    "botocore elasticache CreateReplicationGroup (AuthToken, TransitEncryptionEnabled); "
                    "CloudFormation schema AWS::ElastiCache::ReplicationGroup"),
        SourcedFact("AtRestEncryptionEnabled and AuthToken are not properties of AWS::ElastiCache::CacheCluster.",
                    "CloudFormation registry schema AWS::ElastiCache::CacheCluster (as cfn-lint ships it)"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, resource in resolution.resources(*CACHE_TYPES):
        group = resource.type == REPLICATION_GROUP
        transit = view.flag(resource, "TransitEncryptionEnabled", default=False)
        at_rest = view.flag(resource, "AtRestEncryptionEnabled", default=False) if group else False
        token = view.prop(resource, "AuthToken") if group else None
        unknown = _first_unknown(("TransitEncryptionEnabled", transit), ("AtRestEncryptionEnabled", at_rest))
        if unknown is not None:
            yield undetermined(view, resource, *unknown)
            continue
        if not (transit or at_rest or token is not None):
            continue  # nothing asked for that an engine or version could refuse
        name, version = engine(view, resource), engine_version(view, resource)
        unknown = _first_unknown(("Engine", name), ("EngineVersion", version))
        if unknown is not None:
            yield undetermined(view, resource, *unknown)
            continue
        for message, path, evidence in _problems(resource.type, name, version, transit, at_rest, token):
            yield violation_or_undetermined(view, resource, message, evidence=evidence,
                                            property_path=f"Properties/{path}")


def _first_unknown(*named):
    return next(((what, value) for what, value in named if isinstance(value, Unknown)), None)


def _problems(resource_type, name, version, transit, at_rest, token):
    evidence = {"resource_type": resource_type, "engine": name, "engine_version": str(version) if version else None}
    if resource_type == CACHE_CLUSTER:
        if transit and name in KEY_VALUE_ENGINES:
            seen = " (\"Encryption feature is not supported for engine REDIS\")" if name == "redis" else ""
            yield (f"in-transit encryption is not supported on a {name} CacheCluster{seen}: on a single cluster "
                   f"it is a Memcached feature; use an AWS::ElastiCache::ReplicationGroup",
                   "TransitEncryptionEnabled", evidence)
        elif transit and name == MEMCACHED and version is not None and not version.at_least(*MEMCACHED_TLS_MINIMUM):
            yield (f"in-transit encryption needs Memcached 1.6.12 or later, not {version}",
                   "EngineVersion", evidence)
        return
    if token is not None and not transit:
        yield ("AuthToken is set but TransitEncryptionEnabled is not true: an AUTH token is accepted only on a "
               "replication group with in-transit encryption", "TransitEncryptionEnabled",
               {**evidence, "transit_encryption": bool(transit)})
    if name == "redis" and version is not None and (transit or at_rest) and not _redis_supports_encryption(version):
        features = " and ".join(f for f, on in (("in-transit", transit), ("at-rest", at_rest)) if on)
        yield (f"{features} encryption needs Redis OSS 3.2.6 or 4.0.10 and later, not {version}",
               "EngineVersion", evidence)


def _redis_supports_encryption(version) -> bool:
    if version.at_least(4, 0, 10):
        return True
    parts = version.parts + (0, 0)
    return parts[0] == 3 and parts[1] == 2 and (parts[2] is None or parts[2] >= 6)


RULE = Rule(meta=META, evaluate=evaluate)
