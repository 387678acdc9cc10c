"""CDKC-U2: the update replaces a resource whose deletion protection is on.

The replacement is created, then the old resource cannot be deleted: the stack
ends up with a new, empty resource beside the protected old one that still holds
the data, or the update fails and rolls back.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.update.common import causes_text, evidence, existing_stacks, undetermined_reason
from cdkcheck.updates.stack_diff import Action, deletion_protected

META = RuleMeta(
    id="CDKC-U2",
    name="update-replaces-protected-resource",
    summary="The update replaces a resource that has deletion protection on (DeletionProtection, "
            "DeletionProtectionEnabled).",
    severity=Severity.ERROR,
    resource_types=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DynamoDB::Table", "AWS::Cognito::UserPool",
                    "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster"),
    rationale=(
        "Replacing a resource means creating a new one and deleting the old one. Deletion protection makes "
        "the delete fail (RDS: 'Cannot delete protected DB Instance, please disable deletion protection and "
        "try again'; DynamoDB: 'Resource cannot be deleted as it is currently protected against deletion'): "
        "the deploy either fails or leaves the stack pointing at a new, empty resource while the old one keeps "
        "the data outside the stack. Which changes replace comes from the registry schema's createOnlyProperties."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html",
    fix="Avoid the replacing change; or migrate the data to a new resource deliberately (snapshot and restore) "
        "and turn deletion protection off in a separate deploy first.",
    example="An RDS instance with deletion_protection=True whose storage_encrypted setting changes: "
            "StorageEncrypted is create-only, the instance would be replaced.",
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for change in diff.of(Action.REPLACE, Action.MAY_REPLACE):
            protected = deletion_protected(diff.old_values(change.logical_id))
            if protected is None:
                continue
            prop, value = protected
            if change.action is Action.MAY_REPLACE:
                yield Undetermined(update.stack, change.logical_id, undetermined_reason(change), required=False)
                continue
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path=change.causes[0].path,
                message=(f"{change.type} is replaced by this update ({causes_text(change)}) while its {prop} is "
                         f"{value}: CloudFormation cannot delete the old resource"),
                evidence=evidence(update, change, deletion_protection={prop: value}),
            )


RULE = Rule(meta=META, evaluate=evaluate)
