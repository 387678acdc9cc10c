"""Stacks that deploy nothing: an advisory, never a failure.

CDK writes a stack without constructs as a template with Parameters and Rules
(the bootstrap check) but no Resources; `cdk deploy` skips such a stack ("stack
has no resources, skipping deployment"), and deletes it if it exists. A stack
whose only resources are CDK's own AWS::CDK::Metadata deploys, but holds none
of the app's resources. Either may be deliberate (a placeholder stage, a stack
filled by context), so it is worth saying and not worth blocking.
"""

from __future__ import annotations

from typing import Sequence

from cdkcheck.model import Finding, Severity, Source, Stack
from cdkcheck.engine.policy import EMPTY_STACK_RULE

CDK_OWN_TYPES = {"AWS::CDK::Metadata"}


def is_empty(stack: Stack) -> bool:
    return all(r.type in CDK_OWN_TYPES for r in stack.template.resources.values())


def empty_stack_findings(stacks: Sequence[Stack]) -> list[Finding]:
    findings = []
    for stack in stacks:
        if not is_empty(stack):
            continue
        if stack.template.resources:
            message = ("the stack holds only CDK's metadata resource: it deploys, but creates none of the "
                       "app's resources")
        else:
            message = "the stack has no resources: cdk deploy skips this stack (and deletes it if it exists)"
        findings.append(Finding(
            rule_id=EMPTY_STACK_RULE,
            source=Source.CDKCHECK,
            severity=Severity.INFO,
            message=message,
            stack=stack.display_name,
            fix="nothing to do if the stack is meant to be empty; otherwise check the condition or context "
                "that should have added its constructs",
            evidence={"resources": sorted(stack.template.resources)},
        ))
    return findings
