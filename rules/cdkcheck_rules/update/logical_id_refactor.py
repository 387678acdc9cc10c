"""CDKC-U6: a named resource moves to another logical id (a construct-id refactor).

CloudFormation sees a new resource and a removed one: it creates the new one first,
under the same explicit name, and that create collides with the resource it is
meant to replace.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Violation
from cdkcheck_rules.update.common import existing_stacks
from cdkcheck.updates.stack_diff import Action, display, name_property, value_at

META = RuleMeta(
    id="CDKC-U6",
    name="update-moves-named-resource",
    summary="A logical id disappears while a resource of the same type and explicit name appears under "
            "another id (a renamed or moved construct).",
    severity=Severity.WARNING,
    resource_types=("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::RDS::DBInstance", "AWS::SQS::Queue",
                    "AWS::IAM::Role", "AWS::Logs::LogGroup"),
    rationale=(
        "A logical id is derived from the construct path: renaming a construct or moving it to another parent "
        "changes it. CloudFormation then creates a resource under the new id before deleting the old one, and "
        "with an explicit name the create fails because the name is taken ('... already exists'); without the "
        "failure the old resource, and its data, would be deleted. Resources are matched by type and resolved "
        "name."
    ),
    docs_url="https://docs.aws.amazon.com/cdk/v2/guide/identifiers.html#identifiers_logical_ids",
    fix="Keep the logical id: `cdk refactor`, or `(node.default_child).override_logical_id('<old id>')` on the "
        "moved construct; or give the moved resource a new name.",
    example="A named s3.Bucket moved from the stack into a new Storage construct: Bucket83908E77 becomes "
            "StorageBucket19DB2FF8 with the same bucket_name.",
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        removed: dict[tuple[str, str], str] = {}
        for change in diff.of(Action.REMOVE):
            name = _name(change.type, diff.old_values(change.logical_id))
            if name is not None:
                removed[(change.type, name)] = change.logical_id
        if not removed:
            continue
        for change in diff.of(Action.ADD):
            name = _name(change.type, diff.new_values(change.logical_id))
            old_id = removed.get((change.type, name)) if name is not None else None
            if old_id is None:
                continue
            old = diff.changes[old_id]
            prop = name_property(change.type)
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path=prop,
                message=(f"{change.type} {name} moves from logical id {old_id} ({old.construct_path}) to "
                         f"{change.logical_id}: CloudFormation creates the new one first and its {prop} is taken"),
                evidence={"stack_name": update.deployed.name if update.deployed else update.stack.stack_name,
                          "type": change.type, "name_property": prop, "name": name,
                          "old": {"logical_id": old_id, "construct_path": old.construct_path},
                          "new": {"logical_id": change.logical_id, "construct_path": change.construct_path},
                          "changes": [{"property": "logical id", "old": old_id, "new": change.logical_id}]},
            )


def _name(resource_type: str, values) -> str | None:
    prop = name_property(resource_type)
    if prop is None:
        return None
    name = display(value_at(values, prop))
    return name if isinstance(name, str) and not name.startswith("<") else None


RULE = Rule(meta=META, evaluate=evaluate)
