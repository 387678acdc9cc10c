"""CDKC-L12: an API Gateway stage turns on CloudWatch logging while the account has no CloudWatch Logs role.

Execution and access logging of REST API stages write with the role set once per account and region
(apigateway:GetAccount cloudwatchRoleArn); without it the stage's create fails.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck_rules.live.common import literal, require_account, resources_of

DOCS = "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html"

META = RuleMeta(
    id="CDKC-L12",
    name="apigateway-cloudwatch-role",
    summary="A REST API stage enables CloudWatch execution or access logging, but the account has no API Gateway "
            "CloudWatch Logs role in this region and the stacks do not set one.",
    severity=Severity.ERROR,
    resource_types=("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment", "AWS::ApiGatewayV2::Stage"),
    rationale=(
        "API Gateway writes execution and access logs with the CloudWatch Logs role of the account's API Gateway "
        "settings (one per account and region). A stage with a LoggingLevel, DataTraceEnabled or an "
        "AccessLogSetting fails to create without it: 'CloudWatch Logs role ARN must be set in account settings to "
        "enable logging' (awslabs/sbt-aws#19, aws-samples/amazon-bedrock-knowledgebase-slackbot#6; HTTP and "
        "WebSocket stages likewise, seasketch/geoprocessing#375). CDK sets the role with an "
        "AWS::ApiGateway::Account resource only when cloudWatchRole is true, which the "
        "@aws-cdk/aws-apigateway:disableCloudWatchRole feature flag turns off for new projects. Read with "
        "apigateway:GetAccount."
    ),
    docs_url=DOCS,
    fix="Set the role once per account and region (RestApi(cloud_watch_role=True) in one stack, or an "
        "AWS::ApiGateway::Account resource), or turn stage logging off.",
    example="apigateway.RestApi(..., deploy_options=apigateway.StageOptions(logging_level=INFO)) in a fresh account.",
    needs_live=True,
    facts=(SourcedFact("Logging needs an IAM role ARN in API Gateway's account settings (cloudwatchRoleArn)", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    logging = [(s, r, why) for s, r in resources_of(ctx, META.resource_types, new_only=True)
               for why in [_logs(ctx, s, r)] if why]
    if not logging:
        return
    if any(s.template.of_type("AWS::ApiGateway::Account") for s in ctx.stacks):
        return  # the stacks set the role themselves
    require_account(ctx)
    stack, resource, why = logging[0]
    try:
        role = ctx.facts.apigateway_cloudwatch_role()
    except FactUnavailable as unavailable:
        yield Undetermined(stack, resource.logical_id, unavailable.reason)
        return
    if role:
        return
    for stack, resource, why in logging:
        yield Violation(stack=stack, logical_id=resource.logical_id,
                        message=f"the stage turns on {why}, but API Gateway has no CloudWatch Logs role in this "
                                "account and region: the create fails ('CloudWatch Logs role ARN must be set in "
                                "account settings to enable logging')",
                        evidence={"logging": why, "source": "apigateway.get_account", "docs": DOCS})


def _logs(ctx: RuleContext, stack: Stack, resource: Resource) -> str | None:
    """What logging the stage turns on, or None."""
    if resource.type == "AWS::ApiGateway::Deployment":
        holder = literal(ctx, stack, resource, "StageDescription")
        methods = holder.get("MethodSettings") if isinstance(holder, Mapping) else None
        settings = [holder, *(methods if isinstance(methods, list) else [])] if isinstance(holder, Mapping) else []
        access = holder.get("AccessLogSetting") if isinstance(holder, Mapping) else None
    elif resource.type == "AWS::ApiGatewayV2::Stage":
        routes = literal(ctx, stack, resource, "RouteSettings")
        settings = [literal(ctx, stack, resource, "DefaultRouteSettings"),
                    *(routes.values() if isinstance(routes, Mapping) else [])]
        access = literal(ctx, stack, resource, "AccessLogSettings")
    else:
        methods = literal(ctx, stack, resource, "MethodSettings")
        settings = list(methods) if isinstance(methods, list) else []
        access = literal(ctx, stack, resource, "AccessLogSetting")
    for entry in settings:
        if isinstance(entry, Mapping) and (entry.get("LoggingLevel") not in (None, "OFF")
                                           or entry.get("DataTraceEnabled") in (True, "true")):
            return f"execution logging ({entry.get('LoggingLevel') or 'data trace'})"
    return "access logging" if isinstance(access, Mapping) and access else None


RULE = Rule(meta=META, evaluate=evaluate)
