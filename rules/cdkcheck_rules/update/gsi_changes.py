"""CDKC-U7: the update creates or deletes more than one global secondary index of a DynamoDB table."""

from __future__ import annotations

from typing import Any, Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.intrinsics import Unknown
from cdkcheck.updates.stack_diff import Action, display, value_at
from cdkcheck_rules.update.common import evidence, existing_stacks

TABLE = "AWS::DynamoDB::Table"

META = RuleMeta(
    id="CDKC-U7",
    name="update-changes-several-gsis",
    summary="The update creates or deletes more than one global secondary index of an existing DynamoDB table.",
    severity=Severity.ERROR,
    resource_types=(TABLE,),
    rationale=(
        "DynamoDB builds or drops one global secondary index per UpdateTable call, and CloudFormation does not "
        "split the change: adding two indexes (or removing two, or one of each) in one stack update fails with "
        "'Cannot perform more than one GSI creation or deletion in a single update' and rolls back "
        "(aws/aws-cdk#14920, cloudformation-coverage-roadmap#229). The deployed template's indexes are compared "
        "with the synthesized ones by IndexName; a table that is replaced gets its indexes with the new table "
        "and is not counted."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html",
    fix="Deploy the index changes one at a time: add (or remove) one index, deploy, wait for it, then the next.",
    example="table.add_global_secondary_index(index_name='byCustomer', ...) and index_name='byStatus' added to a "
            "deployed table in the same deploy.",
    needs_live=True,
    facts=(
        SourcedFact("one GSI creation or deletion per update of an AWS::DynamoDB::Table",
                    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html"),
        SourcedFact("the update fails: 'Cannot perform more than one GSI creation or deletion in a single update'",
                    "https://github.com/aws/aws-cdk/issues/14920"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for change in diff.of(Action.UPDATE):
            if change.type != TABLE:
                continue
            old = _indexes(value_at(diff.old_values(change.logical_id), "GlobalSecondaryIndexes"))
            new = _indexes(value_at(diff.new_values(change.logical_id), "GlobalSecondaryIndexes"))
            unknown = old if isinstance(old, Unknown) else new if isinstance(new, Unknown) else None
            if unknown is not None:
                yield Undetermined(update.stack, change.logical_id,
                                   f"GlobalSecondaryIndexes of {change.construct_path or change.logical_id}: "
                                   f"{unknown.reason}", required=False)
                continue
            created, deleted = sorted(set(new) - set(old)), sorted(set(old) - set(new))
            if len(created) + len(deleted) <= 1:
                continue
            parts = [f"creates {', '.join(created)}" if created else "", f"deletes {', '.join(deleted)}" if deleted
                     else ""]
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path="GlobalSecondaryIndexes",
                message=(f"the update {' and '.join(p for p in parts if p)}: DynamoDB takes one global secondary "
                         "index creation or deletion per update ('Cannot perform more than one GSI creation or "
                         "deletion in a single update')"),
                evidence=evidence(update, change, created=created, deleted=deleted),
            )


def _indexes(value: Any) -> dict[str, Any] | Unknown:
    if isinstance(value, Unknown):
        return value
    found: dict[str, Any] = {}
    for item in value if isinstance(value, list) else []:
        name = item.get("IndexName") if isinstance(item, dict) else None
        if isinstance(name, Unknown):
            return name
        if isinstance(name, str):
            found[name] = display(item.get("KeySchema"))
    return found


RULE = Rule(meta=META, evaluate=evaluate)
