"""CDKC-L6: a resource the deploy creates under an explicit name exists already.

Typical after a failed first deploy: resources with DeletionPolicy Retain or
Snapshot survive the rollback and the retry collides on their names. One
listing per kind of resource answers every name of that kind.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from cdkcheck.facts import FactUnavailable
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck.rules.live_common import deployed_logical_ids, literal, require_account, resources_of

# resource type -> (name property, kind of name in AccountFacts.existing_names)
NAMED_RESOURCES: dict[str, tuple[str, str]] = {
    "AWS::RDS::DBInstance": ("DBInstanceIdentifier", "rds-instance"),
    "AWS::RDS::DBCluster": ("DBClusterIdentifier", "rds-cluster"),
    "AWS::RDS::DBSubnetGroup": ("DBSubnetGroupName", "rds-subnet-group"),
    "AWS::OpenSearchService::Domain": ("DomainName", "opensearch-domain"),
    "AWS::Elasticsearch::Domain": ("DomainName", "opensearch-domain"),
    "AWS::ElastiCache::ReplicationGroup": ("ReplicationGroupId", "elasticache-replication-group"),
    "AWS::ElastiCache::CacheCluster": ("ClusterName", "elasticache-cluster"),
    "AWS::ElastiCache::SubnetGroup": ("CacheSubnetGroupName", "elasticache-subnet-group"),
    "AWS::Logs::LogGroup": ("LogGroupName", "log-group"),
    "AWS::S3::Bucket": ("BucketName", "s3-bucket"),
    "AWS::IAM::Role": ("RoleName", "iam-role"),
}

META = RuleMeta(
    id="CDKC-L6",
    name="name-already-taken",
    summary="A resource the deploy creates has an explicit name that already exists in the account "
            "(or, for S3 buckets, anywhere).",
    severity=Severity.ERROR,
    resource_types=tuple(NAMED_RESOURCES),
    rationale=(
        "CloudFormation cannot create a named resource whose name is taken: DBInstanceAlreadyExists, "
        "DBSubnetGroupAlreadyExists, 'log group already exists', 'bucket already exists'. The usual cause is "
        "a leftover of an earlier failed deploy: RETAIN and SNAPSHOT removal policies keep the resource when "
        "the create rolls back, and the retry then fails on the name."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
    fix=(
        "Delete or import the leftover resource (cdk import), rename it in the stack, or let CloudFormation "
        "generate the name; use RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (RetainExceptOnCreate) so failed "
        "creates do not leave leftovers."
    ),
    example="rds.DatabaseInstance(instance_identifier='courtcase-db') after a rolled-back first deploy left "
            "its snapshot-protected instance behind.",
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    named: dict[str, list[tuple[Stack, Resource, str, str]]] = defaultdict(list)
    for stack, resource in resources_of(ctx, NAMED_RESOURCES, new_only=False):
        prop, kind = NAMED_RESOURCES[resource.type]
        if prop not in resource.properties:
            continue  # CloudFormation generates a unique name
        name = literal(ctx, stack, resource, prop)
        if not isinstance(name, str):
            yield Undetermined(stack, resource.logical_id, f"{prop} is not known before deploy")
            continue
        named[kind].append((stack, resource, prop, name))
    if not named:
        return
    require_account(ctx)
    new = {kind: [(s, r, p, n) for s, r, p, n in entries
                  if r.logical_id not in deployed_logical_ids(ctx, s)] for kind, entries in named.items()}
    new = {kind: entries for kind, entries in new.items() if entries}
    ctx.facts.prefetch(tuple(("existing_names", kind, tuple(sorted({n for *_, n in entries})))
                             for kind, entries in sorted(new.items())))
    for kind, entries in sorted(new.items()):
        try:
            taken = ctx.facts.existing_names(kind, tuple(sorted({n for *_, n in entries})))
        except FactUnavailable as unavailable:
            for stack, resource, _, _ in entries:
                yield Undetermined(stack, resource.logical_id, unavailable.reason)
            continue
        for stack, resource, prop, name in entries:
            if name not in taken:
                continue
            policy = resource.deletion_policy
            where = "in some AWS account (bucket names are global)" if kind == "s3-bucket" else "in the account"
            yield Violation(
                stack=stack, logical_id=resource.logical_id,
                message=f"{resource.type} {prop} '{name}' already exists {where}; the create will fail"
                        + (f" (DeletionPolicy {policy} keeps such leftovers after a rollback)" if policy else ""),
                evidence={"kind": kind, "name": name, "deletion_policy": policy,
                          "source": f"existing_names({kind})"},
                property_path=f"Properties.{prop}",
                severity=Severity.ERROR,
            )


RULE = Rule(meta=META, evaluate=evaluate)
