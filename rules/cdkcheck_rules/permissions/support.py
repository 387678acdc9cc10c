"""Reading the roles a template creates: which one a resource uses, and what it is allowed."""

from __future__ import annotations

from typing import Any, Iterable

from cdkcheck.model import Resource, Stack
from cdkcheck.template.iam_policies import Access, Decision, RolePolicies, decide, reference_in, role_policies
from cdkcheck.template.intrinsics import ResolutionEnv, resolve


def role_of(value: Any, stack: Stack, env: ResolutionEnv) -> Resource | str:
    """The AWS::IAM::Role of the template a Role / RoleArn property names, or why it cannot be read."""
    ref = reference_in(value, stack.template)
    if ref is not None and ref.resource is not None:
        if ref.resource.type == "AWS::IAM::Role":
            return ref.resource
        return f"the role is {ref.resource.type} {ref.logical_id}, not a role of this template"
    resolved = resolve(value, stack.template, env)
    if isinstance(resolved, str):
        name = resolved.rsplit("/", 1)[-1]
        for resource in stack.template.of_type("AWS::IAM::Role"):
            if resolve(resource.properties.get("RoleName"), stack.template, env) == name:
                return resource
        return f"the role {resolved} is not created by this stack: its policies are not in the template"
    return "the role is known only at deploy time (imported or passed in)"


def missing(policies: RolePolicies, actions: Iterable[str], target: Any,
            stack: Stack) -> tuple[dict[str, Decision], list[str], list[str]]:
    """(decisions, denied actions, reasons it could not decide) for the role on `target`."""
    decisions = {a: decide(policies, a, target, stack.template) for a in actions}
    denied = [a for a, d in decisions.items() if d.access is Access.DENIED]
    unsure = [f"{a}: {d.reason}" for a, d in decisions.items() if d.access is Access.UNKNOWN]
    return decisions, denied, unsure


def policy_sources(policies: RolePolicies) -> list[str]:
    return sorted({s.source.split(", statement")[0] for s in policies.statements})



__all__ = ["missing", "policy_sources", "role_of", "role_policies"]
