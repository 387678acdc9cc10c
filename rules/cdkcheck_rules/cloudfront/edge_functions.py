"""CDKC-C3: a function associated with a distribution breaks a Lambda@Edge restriction."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact
from cdkcheck.template.intrinsics import Unknown
from cdkcheck_rules.cloudfront.support import (
    CONTROL_REGION, DISTRIBUTION, Association, associations, function_of_version, property_path)
from cdkcheck_rules.toolkit import Resolution, StackView, violation_or_undetermined

# Quotas on Lambda@Edge: viewer triggers 5 s and 128 MB; origin triggers 30 s (memory as for Lambda).
VIEWER_TIMEOUT, ORIGIN_TIMEOUT, VIEWER_MEMORY = 5, 30, 128
RUNTIME_FAMILIES = ("nodejs", "python")  # the runtimes Lambda@Edge runs
DEFAULT_TIMEOUT, DEFAULT_MEMORY = 3, 128  # Lambda's defaults when the template leaves them out

META = RuleMeta(
    id="CDKC-C3",
    name="lambda-edge-restrictions",
    summary="A Lambda@Edge function has environment variables, a VPC, a runtime, timeout or memory Lambda@Edge "
            "does not allow, or is created outside us-east-1.",
    severity=Severity.ERROR,
    resource_types=(DISTRIBUTION, "AWS::Lambda::Function", "AWS::Lambda::Version"),
    rationale=(
        "CloudFront checks the function version of each LambdaFunctionAssociation when the distribution is "
        "created or updated and refuses it with InvalidLambdaFunctionAssociation: 'The function cannot have "
        "environment variables', 'The function timeout is larger than the maximum allowed for functions that are "
        "triggered by a CloudFront event: 30 Max allowed: 5', 'The function memory size is larger than the "
        "maximum allowed size'. Lambda@Edge functions must be created in us-east-1, run Node.js or Python, have "
        "no VPC configuration, and stay within 5 s / 128 MB for viewer events and 30 s for origin events. The "
        "association is followed from the distribution to an AWS::Lambda::Version of the selected stacks and "
        "its function; functions given by ARN are not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html",
    fix="Use cloudfront.experimental.EdgeFunction (created in us-east-1), drop environment variables (bake "
        "configuration into the code or read it at runtime), and keep viewer-event functions at 128 MB and <= 5 s.",
    example="A viewer-request function with environment={'STAGE': 'prod'} and timeout=Duration.seconds(30).",
    facts=(
        SourcedFact("environment variables, VPC, runtimes and region of Lambda@Edge functions",
                    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html"),
        SourcedFact("timeout and memory quotas per event type",
                    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-lambda-at-edge"),
        SourcedFact("the error when a viewer function's timeout is 30 s",
                    "https://github.com/awslabs/aws-cloudfront-extensions/issues/112"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, distribution in resolution.resources(DISTRIBUTION):
        for association in associations(view, distribution):
            function = function_of_version(association.function_arn, view)
            if function is None:
                continue  # a function given by ARN (another region or stack): nothing here to read
            home = resolution.view_of(association.function_arn.template) or view
            problems = list(_problems(home, function, association))
            if problems:
                yield violation_or_undetermined(
                    view, distribution,
                    f"{association.event_type} function {function.construct_path or function.logical_id}: "
                    + "; ".join(problems) + " (InvalidLambdaFunctionAssociation)",
                    evidence={"function": function.logical_id, "event_type": association.event_type,
                              "problems": problems},
                    property_path=property_path(association.path))


def _problems(view: StackView, function: Resource, association: Association) -> Iterator[str]:
    variables = view.prop(function, "Environment.Variables")
    if isinstance(variables, dict) and variables:
        yield f"it has environment variables ({', '.join(sorted(variables))}), which Lambda@Edge does not allow"
    if view.prop(function, "VpcConfig") not in (None, {}):
        yield "it is configured for a VPC, which Lambda@Edge does not allow"
    runtime = view.text(function, "Runtime")
    if isinstance(runtime, str) and not runtime.startswith(RUNTIME_FAMILIES):
        yield f"runtime {runtime} is not one Lambda@Edge runs (Node.js, Python)"
    region = view.env.region
    if region is not None and region != CONTROL_REGION:
        yield f"it is created in {region}; Lambda@Edge functions must be in {CONTROL_REGION}"
    if isinstance(association.event_type, Unknown) or association.event_type is None:
        return
    timeout = view.number(function, "Timeout")
    limit = VIEWER_TIMEOUT if association.viewer else ORIGIN_TIMEOUT
    seconds = DEFAULT_TIMEOUT if timeout is None else timeout
    if not isinstance(seconds, Unknown) and seconds > limit:
        yield f"timeout {seconds:g} s is over the {limit} s allowed for {association.event_type}"
    if association.viewer:
        memory = view.number(function, "MemorySize")
        megabytes = DEFAULT_MEMORY if memory is None else memory
        if not isinstance(megabytes, Unknown) and megabytes > VIEWER_MEMORY:
            yield f"memory {megabytes:g} MB is over the {VIEWER_MEMORY} MB allowed for viewer events"


RULE = Rule(meta=META, evaluate=evaluate)
