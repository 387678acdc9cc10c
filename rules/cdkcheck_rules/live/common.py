"""Helpers shared by the live (account-reading) rules. Not a rule itself.

Every live rule first makes sure the credentials reach the environment's
account: facts from another account would answer the wrong question.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from cdkcheck.facts.interface import CallerIdentity, FactUnavailable
from cdkcheck.template.intrinsics import Unknown, as_number, env_for_stack, resolve_property, resource_exists
from cdkcheck.model import Resource, Stack
from cdkcheck.ruleset import RuleContext


def require_account(ctx: RuleContext) -> CallerIdentity:
    who = ctx.facts.identity()
    expected = ctx.environment.account
    if expected and who.account != expected:
        raise FactUnavailable(f"the credentials reach account {who.account}, not the environment's {expected}: "
                              "its facts would describe the wrong account")
    return who


def literal(ctx: RuleContext, stack: Stack, resource: Resource, path: str) -> Any:
    """The property's value when the template fixes it; None when absent or known only at deploy time."""
    value = resolve_property(resource, path, stack.template,
                             env_for_stack(stack, region=ctx.environment.region, account=ctx.environment.account,
                                           stacks=ctx.stacks))
    return None if isinstance(value, Unknown) else value


def number(ctx: RuleContext, stack: Stack, resource: Resource, path: str, default: float | None = None):
    found = as_number(literal(ctx, stack, resource, path))
    return default if found is None else found


def deployed_logical_ids(ctx: RuleContext, stack: Stack) -> frozenset[str]:
    """Resources CloudFormation already holds for the stack; empty when the stack is not deployed."""
    if stack.is_nested:
        parent = next((s for s in ctx.stacks if s.display_name == stack.parent), None)
        if parent is None:
            return frozenset()
        parent_deployed = ctx.facts.deployed_stack(parent.stack_name)
        nested_id = parent_deployed.nested.get(stack.artifact_id.rsplit("/", 1)[-1]) if parent_deployed else None
        deployed = ctx.facts.deployed_stack(nested_id) if nested_id else None
    else:
        deployed = ctx.facts.deployed_stack(stack.stack_name)
    return deployed.logical_ids if deployed else frozenset()


def resources_of(ctx: RuleContext, types: Iterable[str], *, new_only: bool = False) -> Iterator[tuple[Stack, Resource]]:
    """Resources of these types that will exist; with new_only, only those the deploy creates."""
    wanted = tuple(types)
    for stack in ctx.stacks:
        found = stack.template.of_type(*wanted)
        if not found:
            continue
        deployed = deployed_logical_ids(ctx, stack) if new_only else frozenset()
        for resource in found:
            if resource.logical_id in deployed:
                continue
            if resource_exists(resource, stack.template, env_for_stack(stack)) is False:
                continue
            yield stack, resource
