"""CDKC-U3: the update lowers an RDS instance's AllocatedStorage, which RDS cannot do."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown, as_number
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.update.common import evidence, existing_stacks
from cdkcheck.updates.stack_diff import Action, display, value_at

META = RuleMeta(
    id="CDKC-U3",
    name="update-shrinks-rds-storage",
    summary="The update lowers AllocatedStorage of an existing RDS DB instance.",
    severity=Severity.ERROR,
    resource_types=("AWS::RDS::DBInstance",),
    rationale=(
        "RDS storage can grow but never shrink: ModifyDBInstance with a smaller AllocatedStorage fails "
        "('Invalid storage size for engine ...: decreasing the storage size is not supported'), and the stack "
        "update rolls back. The deployed template's value is compared; an instance whose storage autoscaling "
        "already grew past it is not visible here."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html",
    fix="Keep AllocatedStorage at least at its deployed value; to shrink, restore a dump into a new, smaller "
        "instance and switch over.",
    example="rds.DatabaseInstance(allocated_storage=100) deployed, then changed to allocated_storage=50.",
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for change in diff.of(Action.UPDATE, Action.MAY_REPLACE):
            if change.type != "AWS::RDS::DBInstance":
                continue
            old = value_at(diff.old_values(change.logical_id), "AllocatedStorage")
            new = value_at(diff.new_values(change.logical_id), "AllocatedStorage")
            if isinstance(old, Unknown) or isinstance(new, Unknown):
                reason = (old if isinstance(old, Unknown) else new).reason
                yield Undetermined(update.stack, change.logical_id,
                                   f"AllocatedStorage of {change.construct_path or change.logical_id}: {reason}",
                                   required=False)
                continue
            old_gib, new_gib = as_number(display(old)), as_number(display(new))
            if old_gib is None or new_gib is None or new_gib >= old_gib:
                continue
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path="AllocatedStorage",
                message=(f"AllocatedStorage {old_gib:g} -> {new_gib:g} GiB: RDS cannot decrease the storage of an "
                         "existing DB instance, the update fails"),
                evidence=evidence(update, change, changes=[{"property": "AllocatedStorage", "old": display(old),
                                                            "new": display(new)}]),
            )


RULE = Rule(meta=META, evaluate=evaluate)
