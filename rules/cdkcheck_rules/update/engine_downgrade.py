"""CDKC-U4: the update sets an older engine version than the one deployed (RDS, OpenSearch, ElastiCache)."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Violation
from cdkcheck_rules.update.common import evidence, existing_stacks
from cdkcheck.updates.stack_diff import SAME, Action, compare_versions, display, relate, value_at

# resource type -> the property holding its engine version
VERSION_PROPERTY = {
    "AWS::RDS::DBInstance": "EngineVersion",
    "AWS::RDS::DBCluster": "EngineVersion",
    "AWS::OpenSearchService::Domain": "EngineVersion",
    "AWS::Elasticsearch::Domain": "ElasticsearchVersion",
    "AWS::ElastiCache::CacheCluster": "EngineVersion",
    "AWS::ElastiCache::ReplicationGroup": "EngineVersion",
}

META = RuleMeta(
    id="CDKC-U4",
    name="update-downgrades-engine",
    summary="The update sets an engine version older than the deployed one (RDS instance or cluster, "
            "OpenSearch domain, ElastiCache cluster or replication group).",
    severity=Severity.ERROR,
    resource_types=tuple(VERSION_PROPERTY),
    rationale=(
        "Engine versions only go up in place: RDS refuses a lower EngineVersion ('Cannot upgrade postgres from "
        "15.4 to 14.9'), OpenSearch Service only upgrades domains (UpgradeDomain), ElastiCache cannot downgrade "
        "a cluster's engine. The stack update fails and rolls back. Versions compare by their numbers "
        "(8.0.mysql_aurora.3.04.0, OpenSearch_2.11, 7.1); a short form that is a prefix of the other "
        "(8.0 against 8.0.35) is not taken as a downgrade. A version that automatic minor upgrades raised past "
        "the deployed template is not visible here."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Upgrading.html",
    fix="Keep the deployed engine version (or a newer one); to go back, restore a snapshot into a new resource "
        "of the older version.",
    example="rds.DatabaseInstanceEngine.postgres(version=VER_15_4) deployed, then VER_14_9 in the code.",
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for change in diff.of(Action.UPDATE, Action.MAY_REPLACE):
            prop = VERSION_PROPERTY.get(change.type)
            if prop is None:
                continue
            old_values, new_values = diff.old_values(change.logical_id), diff.new_values(change.logical_id)
            if relate(value_at(old_values, "Engine"), value_at(new_values, "Engine")) is not SAME:
                continue  # another engine (or not known): not an ordering of versions
            old, new = display(value_at(old_values, prop)), display(value_at(new_values, prop))
            if not isinstance(old, (str, int, float)) or not isinstance(new, (str, int, float)):
                continue
            if compare_versions(str(old), str(new)) != -1:
                continue
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path=prop,
                message=f"{prop} {old} -> {new}: {change.type} engine versions cannot be downgraded in place",
                evidence=evidence(update, change, changes=[{"property": prop, "old": old, "new": new}]),
            )


RULE = Rule(meta=META, evaluate=evaluate)
