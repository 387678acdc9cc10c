"""CDKC-L14: reserved concurrency the stacks add takes the account's unreserved concurrency below its floor.

Lambda keeps at least 100 concurrent executions unreserved per account and region; a function whose
ReservedConcurrentExecutions would go below that fails to create or update.
"""

from __future__ import annotations

import json
from typing import Iterator, Mapping

from cdkcheck.facts.interface import LAMBDA_UNRESERVED_FLOOR, FactUnavailable
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.intrinsics import as_number
from cdkcheck_rules.live.common import literal, require_account

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"

META = RuleMeta(
    id="CDKC-L14",
    name="lambda-unreserved-concurrency-floor",
    summary="The reserved concurrency the stacks' Lambda functions add leaves less than the 100 unreserved "
            "concurrent executions Lambda keeps per account and region.",
    severity=Severity.ERROR,
    resource_types=("AWS::Lambda::Function",),
    rationale=(
        "Lambda always keeps 100 concurrent executions unreserved for the functions without a reservation: "
        "'Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]' fails the create (new accounts often have a concurrency limit of only "
        "10, so any reservation fails there). What is unreserved now comes from lambda:GetAccountSettings; a "
        "function already deployed counts only by how much its reservation grows."
    ),
    docs_url=DOCS,
    fix="Lower or drop reserved_concurrent_executions, or request a higher 'Concurrent executions' quota.",
    example="lambda_.Function(..., reserved_concurrent_executions=100) in an account with a limit of 1,000 and "
            "150 unreserved.",
    needs_live=True,
    facts=(SourcedFact("Lambda reserves 100 units of concurrency for functions that don't reserve any", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    added = []
    for stack in ctx.stacks:
        functions = stack.template.of_type("AWS::Lambda::Function")
        reserving = [(f, literal(ctx, stack, f, "ReservedConcurrentExecutions")) for f in functions
                     if isinstance(f.properties, Mapping) and "ReservedConcurrentExecutions" in f.properties]
        if not reserving:
            continue
        before = _deployed_reservations(ctx, stack) if reserving else {}
        for function, value in reserving:
            number = as_number(value)
            if number is None:
                yield Undetermined(stack, function.logical_id, "ReservedConcurrentExecutions is known only at "
                                                               "deploy time", required=False)
                continue
            grows = number - before.get(function.logical_id, 0)
            if grows > 0:
                added.append((stack, function, int(grows)))
    if not added:
        return
    require_account(ctx)
    try:
        account = ctx.facts.lambda_concurrency()
    except FactUnavailable as unavailable:
        yield Undetermined(added[0][0], added[0][1].logical_id, unavailable.reason)
        return
    total = sum(n for _, _, n in added)
    left = account.unreserved - total
    if left >= LAMBDA_UNRESERVED_FLOOR:
        return
    stack, function, _ = max(added, key=lambda item: item[2])
    yield Violation(
        stack=stack, logical_id=function.logical_id, property_path="ReservedConcurrentExecutions",
        message=f"the stacks reserve {total} more concurrent executions; the account has {account.unreserved} "
                f"unreserved of {account.limit}, which would leave {left}, below Lambda's floor of "
                f"{LAMBDA_UNRESERVED_FLOOR}: the create fails",
        evidence={"reserved_added": total, "unreserved": account.unreserved, "limit": account.limit,
                  "floor": LAMBDA_UNRESERVED_FLOOR, "source": "lambda.get_account_settings",
                  "functions": [f"{s.display_name}/{f.logical_id}: +{n}" for s, f, n in added], "docs": DOCS})


def _deployed_reservations(ctx: RuleContext, stack) -> dict[str, float]:
    try:
        deployed = ctx.facts.deployed_template(stack.stack_name) if not stack.is_nested else None
    except FactUnavailable:
        return {}  # judged as new: the stricter reading
    if deployed is None:
        return {}
    try:
        resources = json.loads(deployed.template_json).get("Resources") or {}
    except (ValueError, AttributeError):
        return {}
    found = {}
    for logical_id, resource in (resources.items() if isinstance(resources, Mapping) else ()):
        if isinstance(resource, Mapping) and resource.get("Type") == "AWS::Lambda::Function":
            number = as_number((resource.get("Properties") or {}).get("ReservedConcurrentExecutions"))
            if number is not None:
                found[logical_id] = number
    return found


RULE = Rule(meta=META, evaluate=evaluate)
