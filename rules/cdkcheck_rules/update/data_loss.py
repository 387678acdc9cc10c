"""CDKC-U5: the update replaces or removes a resource that holds data, and its policy does not keep the data.

Blocking by default; an environment that accepts the loss (a scratch or preview
environment) lowers it with `[environments.NAME.rules.CDKC-U5] severity = "warning"`.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.update.common import causes_text, evidence, existing_stacks, undetermined_reason
from cdkcheck.updates.stack_diff import Action, holds_data, keeps_data, stateful_types

META = RuleMeta(
    id="CDKC-U5",
    name="update-loses-data",
    summary="The update replaces or removes a stateful resource (database, table, bucket, file system, key, "
            "user pool, secret ...) whose UpdateReplacePolicy / DeletionPolicy does not keep the data.",
    severity=Severity.ERROR,
    resource_types=tuple(sorted(stateful_types())),
    rationale=(
        "A replaced resource is deleted after its replacement is created, as its UpdateReplacePolicy says; a "
        "resource removed from the template is deleted as its deployed DeletionPolicy says. With Delete (the "
        "default for everything but RDS, whose DeletionPolicy defaults to Snapshot) the data goes with it: the "
        "new database or table starts empty. Retain and RetainExceptOnCreate keep the old resource; Snapshot "
        "keeps a snapshot where the type supports one. The stateful types are cfn-lint's list "
        "(StatefulResources.json, rule I3011); DB instances of a cluster hold no data of their own."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html",
    fix=(
        "Avoid the replacing change or the removal; or set RemovalPolicy.RETAIN / SNAPSHOT on the resource "
        "(UpdateReplacePolicy and DeletionPolicy) in a deploy before this one; where the loss is intended, "
        "lower the rule for that environment: [environments.NAME.rules.CDKC-U5] severity = \"warning\"."
    ),
    example="A dynamodb.Table whose partition_key changes, with removal_policy=DESTROY: the table is replaced "
            "and its items deleted.",
    needs_live=True,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for change in diff.of(Action.REPLACE, Action.MAY_REPLACE, Action.REMOVE):
            old_type = (change.old or {}).get("Type", change.type)
            if not holds_data(old_type, change.old or {}):
                continue
            if change.action is Action.REMOVE:
                keeps, policy = keeps_data(old_type, change.old or {}, "DeletionPolicy")
                attribute, what = "DeletionPolicy", "removed from the template"
            else:
                keeps, policy = keeps_data(old_type, change.new or {}, "UpdateReplacePolicy")
                attribute, what = "UpdateReplacePolicy", f"replaced ({causes_text(change)})"
            if keeps:
                continue
            if change.action is Action.MAY_REPLACE:
                yield Undetermined(update.stack, change.logical_id, undetermined_reason(change), required=False)
                continue
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, construct_path=change.construct_path,
                property_path=change.causes[0].path if change.causes else attribute,
                message=(f"{old_type} is {what} and its {attribute} is {policy}: CloudFormation deletes the "
                         "deployed resource and its data"),
                evidence=evidence(update, change, policy={attribute: policy}),
            )


RULE = Rule(meta=META, evaluate=evaluate)
