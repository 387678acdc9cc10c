"""CDKC-L7: a stack is in a state CloudFormation will not deploy over.

ROLLBACK_COMPLETE after a failed first create can only be deleted; a failed
rollback or delete needs a hand; an operation in progress blocks another.
One describe_stacks listing answers for every stack of the region.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import require_account

# status -> what it means for the next deploy
BLOCKING_STATES = {
    "ROLLBACK_COMPLETE": "a failed first create: the stack can only be deleted, not updated",
    "ROLLBACK_FAILED": "the rollback of a failed create failed: delete the stack (retaining what blocks it)",
    "ROLLBACK_IN_PROGRESS": "a failed create is rolling back",
    "CREATE_FAILED": "the create failed",
    "DELETE_FAILED": "a delete failed: finish or retry the delete first",
    "UPDATE_ROLLBACK_FAILED": "a rollback failed: run 'continue-update-rollback' first",
    "IMPORT_ROLLBACK_FAILED": "an import rollback failed",
}

META = RuleMeta(
    id="CDKC-L7",
    name="stack-state",
    summary="A stack is in ROLLBACK_COMPLETE, a *_FAILED state, or another operation is in progress.",
    severity=Severity.ERROR,
    resource_types=("AWS::CloudFormation::Stack",),
    rationale=(
        "CloudFormation refuses to update a stack left in ROLLBACK_COMPLETE ('Stack ... is in ROLLBACK_COMPLETE "
        "state and can not be updated'), a stack whose rollback or delete failed, and a stack with an operation "
        "in progress (another pipeline run). The deploy fails before it starts."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html",
    fix="Delete a ROLLBACK_COMPLETE stack (after checking what it retained), continue-update-rollback an "
        "UPDATE_ROLLBACK_FAILED one, or wait for the running operation to finish.",
    example="CourtCase-Production-Data in ROLLBACK_COMPLETE after the first create failed on the OpenSearch domain.",
    needs_live=True,
    suppressible=False,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    stacks = [s for s in ctx.stacks if not s.is_nested]
    if not stacks:
        return
    require_account(ctx)
    ctx.facts.prefetch(tuple(("deployed_stack", s.stack_name) for s in stacks))
    for stack in stacks:
        try:
            deployed = ctx.facts.deployed_stack(stack.stack_name)
        except FactUnavailable as unavailable:
            yield Undetermined(stack, None, unavailable.reason)
            continue
        if deployed is None:
            continue
        status = deployed.status
        meaning = BLOCKING_STATES.get(status)
        if meaning is None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            meaning = "another operation is running on the stack"
        if meaning is None:
            continue
        reason = f" ({deployed.status_reason})" if deployed.status_reason else ""
        yield Violation(stack=stack, logical_id=None,
                        message=f"stack {deployed.name} is {status}: {meaning}{reason}",
                        evidence={"stack_name": deployed.name, "status": status,
                                  "status_reason": deployed.status_reason, "source": "cloudformation.describe_stacks"},
                        severity=Severity.ERROR)


RULE = Rule(meta=META, evaluate=evaluate)
