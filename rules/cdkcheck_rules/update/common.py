"""Helpers shared by the update rules (CDKC-U*). Not a rule itself.

Every update rule reads the same plan: the deployed template of each selected
stack that exists, compared with the synthesized one (cdkcheck.updates.plan).
"""

from __future__ import annotations

from typing import Any, Iterator

from cdkcheck.ruleset import RuleContext
from cdkcheck_rules.live.common import require_account
from cdkcheck.updates.stack_diff import ResourceChange, StackDiff, ValueChange, show
from cdkcheck.updates.plan import StackUpdate, update_plan

DEPLOYED_SOURCE = "cloudformation.get_template (TemplateStage Original) against the synthesized template"


def existing_stacks(ctx: RuleContext) -> Iterator[StackUpdate]:
    """The selected stacks that exist in the account, each with its comparison."""
    require_account(ctx)
    plan = update_plan(ctx.stacks, ctx.facts, region=ctx.environment.region, account=ctx.environment.account)
    for update in plan.stacks:
        if update.diff is not None:
            yield update


def causes_text(change: ResourceChange) -> str:
    return "; ".join(value_change_text(c) for c in change.causes) or "a change that forces replacement"


def value_change_text(change: ValueChange) -> str:
    return f"{change.path} {show(change.old)} -> {show(change.new)}"


def evidence(update: StackUpdate, change: ResourceChange, **extra: Any) -> dict[str, Any]:
    return {
        "stack_name": update.deployed.name if update.deployed else update.stack.stack_name,
        "logical_id": change.logical_id,
        "type": change.type,
        "action": change.action.value,
        "construct_path": change.construct_path,
        "changes": [{"property": c.path, "old": c.old, "new": c.new, "source": c.source} for c in change.causes],
        "source": DEPLOYED_SOURCE,
        **extra,
    }


def undetermined_reason(change: ResourceChange) -> str:
    reasons = "; ".join(f"{path or 'properties'}: {why}" for path, why in change.undetermined[:3])
    return f"{change.construct_path or change.logical_id} may be replaced by this update ({reasons})"


def diff_of(update: StackUpdate) -> StackDiff:
    assert update.diff is not None
    return update.diff
