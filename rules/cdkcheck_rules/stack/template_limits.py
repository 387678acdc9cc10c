"""CDKC-K6: a stack over CloudFormation's hard limits (resources per stack, template size)."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Violation

MAX_RESOURCES = 500
# CDK uploads every template to the bootstrap bucket: the S3-hosted limit applies.
MAX_TEMPLATE_BYTES = 1_000_000

META = RuleMeta(
    id="CDKC-K6",
    name="cfn-template-limits",
    summary="A stack declares more than 500 resources, or its template is over 1 MB.",
    severity=Severity.ERROR,
    resource_types=("*",),  # every stack, whatever it holds
    rationale=(
        "CloudFormation refuses a stack with more than 500 resources and a template body over 1 MB "
        "(the limit for templates uploaded to S3, which is how CDK deploys). The deploy fails before any "
        "resource is created, often after a long asset upload. cfn-lint's E3010/E1002 see only the file they "
        "are given by name; this rule checks every stack of the environment, nested stacks included, each "
        "against its own limit."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
    fix="Split the stack (a second Stack, or a NestedStack for a self-contained part), or remove resources.",
    example="A stack with one Lambda function and log group per route of a large API: 260 routes, 520 resources.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    limits = ctx.option("max_resources", MAX_RESOURCES), ctx.option("max_template_bytes", MAX_TEMPLATE_BYTES)
    for stack in ctx.stacks:
        count = len(stack.template.resources)
        if count > limits[0]:
            yield Violation(stack, None,
                            f"stack declares {count} resources; CloudFormation allows {limits[0]} per stack",
                            evidence={"resources": count, "limit": limits[0]})
        size = stack.template.size_bytes
        if size > limits[1]:
            yield Violation(stack, None,
                            f"template size is {size:,} bytes; CloudFormation accepts at most {limits[1]:,}",
                            evidence={"template_bytes": size, "limit": limits[1],
                                      "template": stack.template.path.name})


RULE = Rule(meta=META, evaluate=evaluate)
