"""CDKC-U8: the update modifies or removes an attribute of an existing Cognito user pool's schema."""

from __future__ import annotations

from typing import Any, Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.intrinsics import Unknown
from cdkcheck.updates.stack_diff import CHANGED, SAME, Action, display, relate, show, value_at
from cdkcheck_rules.update.common import evidence, existing_stacks

POOL = "AWS::Cognito::UserPool"
# SchemaAttributeType defaults (Cognito API reference): a field left out compares as its default.
DEFAULTS = {"AttributeDataType": "String", "Mutable": True, "Required": False, "DeveloperOnlyAttribute": False}

META = RuleMeta(
    id="CDKC-U8",
    name="update-changes-user-pool-schema",
    summary="The update modifies or removes a schema attribute of an existing Cognito user pool.",
    severity=Severity.ERROR,
    resource_types=(POOL,),
    rationale=(
        "A user pool's schema attributes are fixed once created: Cognito can add custom attributes but never "
        "change or delete one, and the stack update fails with 'Existing schema attributes cannot be modified or "
        "deleted' (InvalidParameterException). The deployed template's Schema is compared attribute by "
        "attribute (by Name, a field left out taken at its API default); an added attribute is not flagged."
    ),
    docs_url="https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html",
    fix="Leave existing attributes as they are; add a new custom attribute under a new name instead, or migrate "
        "the users to a new user pool.",
    example="UserPool(custom_attributes={'tenant': StringAttribute(mutable=True)}) deployed, then mutable=False.",
    needs_live=True,
    facts=(
        SourcedFact("custom attributes can be added but not changed or removed once the pool exists",
                    "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html"),
        SourcedFact("the update fails: 'Existing schema attributes cannot be modified or deleted'",
                    "https://github.com/aws-amplify/amplify-js/issues/6459"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for update in existing_stacks(ctx):
        diff = update.diff
        for change in diff.of(Action.UPDATE):
            if change.type != POOL:
                continue
            old = _attributes(value_at(diff.old_values(change.logical_id), "Schema"))
            new = _attributes(value_at(diff.new_values(change.logical_id), "Schema"))
            unknown = old if isinstance(old, Unknown) else new if isinstance(new, Unknown) else None
            if unknown is not None:
                yield Undetermined(update.stack, change.logical_id,
                                   f"Schema of {change.construct_path or change.logical_id}: {unknown.reason}",
                                   required=False)
                continue
            removed = sorted(set(old) - set(new))
            modified, open_ = [], []
            for name in sorted(set(old) & set(new)):
                relation = relate(old[name], new[name])
                if relation is CHANGED:
                    modified.append(name)
                elif relation is not SAME:
                    open_.append(f"{name}: {relation.reason}")
            if open_:
                yield Undetermined(update.stack, change.logical_id,
                                   f"whether schema attributes change is known only at deploy time ({open_[0]})",
                                   required=False)
            if not removed and not modified:
                continue
            what = ([f"removes {', '.join(removed)}"] if removed else []) + \
                   ([f"changes {', '.join(f'{n} ({_delta(old[n], new[n])})' for n in modified)}"] if modified else [])
            yield Violation(
                stack=update.stack, logical_id=change.logical_id, property_path="Schema",
                message=(f"the update {' and '.join(what)} in the user pool's schema: Cognito refuses it "
                         "('Existing schema attributes cannot be modified or deleted')"),
                evidence=evidence(update, change, removed=removed, modified=modified),
            )


def _attributes(value: Any) -> dict[str, dict] | Unknown:
    if isinstance(value, Unknown):
        return value
    found: dict[str, dict] = {}
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        name = item.get("Name")
        if isinstance(name, Unknown):
            return name
        if isinstance(name, str):
            found[name] = {**DEFAULTS, **item}
    return found


def _delta(old: dict, new: dict) -> str:
    keys = sorted(k for k in {*old, *new} if relate(old.get(k), new.get(k)) is CHANGED)
    return ", ".join(f"{k} {show(display(old.get(k)))} -> {show(display(new.get(k)))}" for k in keys)


RULE = Rule(meta=META, evaluate=evaluate)
