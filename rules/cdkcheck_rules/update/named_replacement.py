"""CDKC-U1: the update replaces a resource whose physical name is set explicitly.

CloudFormation creates the replacement before deleting the old resource, so the
same name cannot be used twice: "CloudFormation cannot update a stack when a
custom-named resource requires replacing". A rename is no collision: the new
resource gets the new name.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.update.common import causes_text, evidence, existing_stacks, undetermined_reason
from cdkcheck.updates.stack_diff import CHANGED, Action, display, name_property, relate, show, value_at

META = RuleMeta(
    id="CDKC-U1",
    name="update-replaces-named-resource",
    summary="The update replaces a resource whose name is set explicitly: CloudFormation refuses it.",
    severity=Severity.ERROR,
    resource_types=("AWS::RDS::DBInstance", "AWS::SecretsManager::Secret", "AWS::DynamoDB::Table",
                    "AWS::OpenSearchService::Domain", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::IAM::Role",
                    "AWS::EC2::SecurityGroup"),
    rationale=(
        "A change to a property the CloudFormation registry schema marks create-only (or a changed resource "
        "type) replaces the resource: CloudFormation creates the new one, then deletes the old. When the "
        "resource carries an explicit physical name that the change keeps, the new one cannot take it and "
        "the update fails with 'CloudFormation cannot update a stack when a custom-named resource requires "
        "replacing. Rename X and update the stack again', rolling the whole stack back. The deployed template "
        "(cloudformation:GetTemplate) is compared with the synthesized one resource by resource; a value "
        "known only at deploy time leaves the answer undetermined, reported under 'could not check'."
    ),
    docs_url="https://repost.aws/knowledge-center/cloudformation-custom-name",
    fix=(
        "Change the explicit name together with the replacing change (or drop the name and let CloudFormation "
        "generate one), or avoid the replacing change; for data stores, migrate to a new resource first."
    ),
    example=(
        "rds.DatabaseInstance(instance_identifier='courtcase-db') moved to another subnet group: "
        "DBSubnetGroupName is create-only, the instance keeps its identifier, the update fails."
    ),
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for note in diff.notes:  # a transform's expansion is known only inside CloudFormation
            yield Undetermined(update.stack, None, note, required=False)
        for change in diff.of(Action.REPLACE, Action.MAY_REPLACE):
            if change.old and change.old.get("Type") != change.type:
                continue  # another kind of resource: its name is another namespace
            prop = name_property(change.type)
            if prop is None:
                continue
            new_name = value_at(diff.new_values(change.logical_id), prop)
            if display(new_name) is None:
                continue  # CloudFormation generates the name
            kept = relate(value_at(diff.old_values(change.logical_id), prop), new_name)
            if kept is CHANGED:
                continue  # renamed with the change: no collision
            if isinstance(kept, Unknown):
                yield Undetermined(update.stack, change.logical_id,
                                   f"whether {change.construct_path or change.logical_id} keeps its {prop} is "
                                   f"known only at deploy time ({kept.reason})", required=False)
                continue
            if change.action is Action.MAY_REPLACE:
                yield Undetermined(update.stack, change.logical_id, undetermined_reason(change), required=False)
                continue
            name = show(display(new_name))
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path=change.causes[0].path,
                message=(f"{change.type} {name} is replaced by this update ({causes_text(change)}) but keeps its "
                         f"explicit {prop}: CloudFormation cannot update a stack when a custom-named resource "
                         "requires replacing"),
                evidence=evidence(update, change, name_property=prop, name=display(new_name)),
            )


RULE = Rule(meta=META, evaluate=evaluate)
