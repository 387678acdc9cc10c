"""CDKC-L8: the account's CDK bootstrap stack is older than the assembly requires (or missing).

The manifest records requiresBootstrapStackVersion and the SSM parameter the
bootstrap stack keeps its version in; `cdk deploy` refuses when it is lower.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import require_account

DEFAULT_PARAMETER = "/cdk-bootstrap/hnb659fds/version"

META = RuleMeta(
    id="CDKC-L8",
    name="cdk-bootstrap-version",
    summary="The CDK bootstrap stack in the target account and region is missing or older than the cloud "
            "assembly requires.",
    severity=Severity.ERROR,
    resource_types=("AWS::CloudFormation::Stack",),
    rationale=(
        "Every CDK stack checks the bootstrap version at deploy time: 'This CDK deployment requires bootstrap "
        "stack version 6, found 4. Please run cdk bootstrap.' New CDK releases raise the required version, so "
        "an upgrade of aws-cdk-lib can break a deploy into an account bootstrapped long ago."
    ),
    docs_url="https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping.html",
    fix="Run 'cdk bootstrap aws://ACCOUNT/REGION' (with the same qualifier and trust options as before).",
    example="Stacks synthesized by aws-cdk-lib 2.275 require version 6; an account bootstrapped in 2020 has 4.",
    needs_live=True,
    suppressible=False,
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    by_parameter: dict[str, list[Stack]] = defaultdict(list)
    for stack in ctx.stacks:
        if stack.is_nested or not stack.requires_bootstrap_version:
            continue
        by_parameter[stack.bootstrap_version_parameter or DEFAULT_PARAMETER].append(stack)
    if not by_parameter:
        return
    require_account(ctx)
    ctx.facts.prefetch(tuple(("bootstrap_version", p) for p in sorted(by_parameter)))
    for parameter, stacks in sorted(by_parameter.items()):
        required = max(s.requires_bootstrap_version or 0 for s in stacks)
        first = max(stacks, key=lambda s: s.requires_bootstrap_version or 0)
        try:
            found = ctx.facts.bootstrap_version(parameter)
        except FactUnavailable as unavailable:
            yield Undetermined(first, None, unavailable.reason)
            continue
        evidence = {"parameter": parameter, "required": required, "found": found, "source": "ssm.get_parameter",
                    "stacks": [s.display_name for s in stacks]}
        if found is None:
            yield Violation(stack=first, logical_id=None,
                            message=f"the account is not bootstrapped for CDK here: SSM parameter {parameter} does not "
                                    f"exist (version {required} required)",
                            evidence=evidence)
        elif found < required:
            yield Violation(stack=first, logical_id=None,
                            message=f"CDK bootstrap version {found} is older than the {required} these stacks require "
                                    f"({parameter})",
                            evidence=evidence)


RULE = Rule(meta=META, evaluate=evaluate)
