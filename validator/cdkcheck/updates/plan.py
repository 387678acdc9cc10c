"""What the deploy will do to stacks that exist already: each deployed template against the synthesized one.

Asks the account facts for the deployed stacks (one describe_stacks listing) and
their templates (one GetTemplate each, concurrently), then compares them with
cdkcheck.updates.stack_diff. Computed once per run and shared by the update rules, the
deploy-duration estimate and the report.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

from cdkcheck.facts.interface import AccountFacts, DeployedStack, FactUnavailable
from cdkcheck.template.intrinsics import ResolutionEnv
from cdkcheck.model import Stack
from cdkcheck.updates.stack_diff import Side, StackDiff, diff_stack

# States in which nothing the stack created survives as a base for an update: the deploy creates
# everything again (CDKC-L7 reports the states that block the deploy itself).
NOTHING_TO_UPDATE = frozenset({
    "REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE", "DELETE_COMPLETE",
})


@dataclass(frozen=True)
class StackUpdate:
    stack: Stack
    deployed: DeployedStack | None  # None: the stack does not exist yet
    diff: StackDiff | None  # None: the deploy creates the whole stack

    @property
    def exists(self) -> bool:
        return self.diff is not None


@dataclass(frozen=True)
class UpdatePlan:
    stacks: tuple[StackUpdate, ...]

    @cached_property
    def actions(self) -> dict[str, dict[str, str]]:
        """artifact id -> logical id -> action, for the stacks that exist (the deploy-duration estimate)."""
        return {u.stack.artifact_id: u.diff.actions() for u in self.stacks if u.diff is not None}


_RECENT: dict[tuple[int, ...], tuple[tuple[Any, ...], UpdatePlan | FactUnavailable]] = {}
_LOCK = threading.Lock()
_RECENT_KEPT = 8


def update_plan(stacks: Sequence[Stack], facts: AccountFacts, *, region: str | None = None,
                account: str | None = None) -> UpdatePlan:
    """The plan for these stacks; FactUnavailable when the account cannot say which stacks exist."""
    stacks = tuple(stacks)
    key = (id(facts), *map(id, stacks))
    with _LOCK:
        hit = _RECENT.get(key)
    if hit is not None and hit[0][0] is facts and all(a is b for a, b in zip(hit[0][1:], stacks)):
        result = hit[1]
    else:
        try:
            result = _plan(stacks, facts, region, account)
        except FactUnavailable as unavailable:
            result = unavailable
        with _LOCK:
            if len(_RECENT) >= _RECENT_KEPT:
                _RECENT.clear()
            _RECENT[key] = ((facts, *stacks), result)
    if isinstance(result, FactUnavailable):
        raise FactUnavailable(result.reason, skipped=result.skipped)
    return result


def update_actions_or_none(stacks: Sequence[Stack], facts: AccountFacts, *, region: str | None = None,
                           account: str | None = None) -> dict[str, dict[str, str]] | None:
    """For the deploy estimate: the per-resource actions, or None when the account could not be read."""
    try:
        return update_plan(stacks, facts, region=region, account=account).actions
    except FactUnavailable:
        return None


def _plan(stacks: tuple[Stack, ...], facts: AccountFacts, region: str | None, account: str | None) -> UpdatePlan:
    top = [s for s in stacks if not s.is_nested]
    facts.prefetch(tuple(("deployed_stack", s.stack_name) for s in top))
    deployed: dict[int, DeployedStack | None] = {}
    for stack in top:
        deployed[id(stack)] = facts.deployed_stack(stack.stack_name)
    for stack in stacks:  # parents come before their nested stacks in an assembly
        if stack.is_nested:
            deployed[id(stack)] = _deployed_nested(stack, stacks, deployed, facts)
    updatable = {id(s): d for s, d in ((s, deployed.get(id(s))) for s in stacks)
                 if d is not None and d.status not in NOTHING_TO_UPDATE}
    facts.prefetch(tuple(("deployed_template", d.stack_id) for d in updatable.values()))
    plans = []
    for stack in stacks:
        current = deployed.get(id(stack))
        if id(stack) not in updatable:
            plans.append(StackUpdate(stack, current, None))
            continue
        plans.append(StackUpdate(stack, current, _diff(stack, current, facts, region, account)))
    return UpdatePlan(tuple(plans))


def _deployed_nested(stack: Stack, stacks: tuple[Stack, ...], deployed: Mapping[int, DeployedStack | None],
                     facts: AccountFacts) -> DeployedStack | None:
    parent = next((s for s in stacks if s.display_name == stack.parent), None)
    parent_deployed = deployed.get(id(parent)) if parent is not None else None
    if parent_deployed is None:
        return None
    nested_id = parent_deployed.nested.get(stack.artifact_id.rsplit("/", 1)[-1])
    return facts.deployed_stack(nested_id) if nested_id else None


def _diff(stack: Stack, deployed: DeployedStack, facts: AccountFacts, region: str | None,
          account: str | None) -> StackDiff:
    from cdkcheck.app.assembly import template_from_body
    from cdkcheck.errors import AssemblyError

    found = facts.deployed_template(deployed.stack_id)
    if found is None:  # deleted between the two calls
        raise FactUnavailable(f"stack {deployed.name} disappeared while its template was read")
    try:
        old_template = template_from_body(json.loads(found.template_json), Path(f"deployed:{deployed.name}"))
    except (ValueError, AssemblyError) as exc:
        raise FactUnavailable(f"the deployed template of {deployed.name} could not be read: {exc}") from None
    # The same resolution on both sides: references become tokens, so neither side needs the other stacks.
    env = ResolutionEnv(region=stack.region or region, account=stack.account or account, stack_name=stack.stack_name)
    old = Side(old_template, env, existing=deployed.logical_ids or None)
    new = Side(stack.template, env)
    return diff_stack(stack.display_name, old, new)
