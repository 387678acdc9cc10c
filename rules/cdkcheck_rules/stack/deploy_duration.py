"""CDKC-D1: the first deploy is estimated to take longer than the environment allows.

A deploy that outlives its credentials fails in the CLI (ExpiredToken) while
CloudFormation carries on, leaving the pipeline red and the stacks half-made.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.deploy_duration import CDK_DEFAULT_CONCURRENCY, estimate_environment
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Violation
from cdkcheck.updates.plan import update_actions_or_none

META = RuleMeta(
    id="CDKC-D1",
    name="deploy-duration",
    summary="The estimated deploy time of the environment's stacks exceeds max_deploy_minutes (for a stack that "
            "exists: what the update creates or replaces).",
    severity=Severity.WARNING,
    resource_types=("AWS::CloudFormation::Stack", "AWS::RDS::DBInstance", "AWS::OpenSearchService::Domain",
                    "AWS::ElastiCache::ReplicationGroup", "AWS::ECS::Service"),
    rationale=(
        "Credentials from STS AssumeRole last 1 hour by default and role chaining (CI OIDC role -> CDK deploy "
        "role) is capped at 1 hour; GitHub-hosted jobs stop at 360 minutes and CodeBuild at 60 by default. "
        "When the deploy outlives them the CDK CLI fails with ExpiredToken while CloudFormation keeps "
        "creating (aws/aws-cdk#19359). The estimate is the slowest chain of references inside each stack "
        "(Ref, Fn::GetAtt, Fn::Sub, DependsOn, nested stacks) with per-type creation times, and stacks "
        "waiting for the stacks whose exports they import; `cdk deploy --all` runs one stack at a time "
        "unless given --concurrency."
    ),
    docs_url="https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html",
    fix=(
        "Raise the credential lifetime (role MaxSessionDuration and the CI job's duration), deploy the slow "
        "stacks in their own pipeline step, use `cdk deploy --concurrency N` for independent stacks, or set "
        "max_deploy_minutes for the environment to what its credentials really allow."
    ),
    example=(
        "An OpenSearch domain (typically 20 min), a Multi-AZ RDS instance (25 min) and an ElastiCache "
        "replication group (15 min) in three stacks that import from each other, deployed one after the "
        "other by a CI role limited to 1 hour: ~65 minutes typical."
    ),
)
DEFAULT_OPTIONS = {
    "concurrency": CDK_DEFAULT_CONCURRENCY,  # stacks deployed at once; 0 = all independent ones
    "use_upper_bound": False,  # compare the pessimistic figure instead of the typical one
    "blocking": False,  # set from deploy_time_blocking: over the limit is then an error
}


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    limit = float(ctx.environment.max_deploy_minutes)
    concurrency = int(ctx.option("concurrency", CDK_DEFAULT_CONCURRENCY))
    upper = bool(ctx.option("use_upper_bound", False))
    estimate = estimate_environment(ctx.stacks, ctx.environment, changes=update_actions_or_none(
        ctx.stacks, ctx.facts, region=ctx.environment.region, account=ctx.environment.account))
    minutes = estimate.total(concurrency, upper=upper)
    if minutes <= limit:
        return
    slowest = estimate.slowest_step
    stack = next((s for s in ctx.stacks if slowest and s.display_name == slowest.stack), None)
    figure = "upper-bound" if upper else "typical"
    yield Violation(
        stack=stack,
        logical_id=slowest.logical_id if slowest else None,
        message=(f"the deploy of {len(estimate.stacks)} stack(s) is estimated at {minutes:.0f} min "
                 f"({figure}), over the environment's max_deploy_minutes of {limit:g}: "
                 f"{estimate.summary(concurrency)}"),
        evidence={"max_deploy_minutes": limit, "compared": figure, **estimate.as_evidence(concurrency)},
        severity=Severity.ERROR if ctx.option("blocking", False) else None,
    )


RULE = Rule(meta=META, evaluate=evaluate, default_options=DEFAULT_OPTIONS)
