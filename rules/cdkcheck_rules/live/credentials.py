"""CDKC-L9: the credentials reach another account, or expire before the deploy is likely to end.

The deploy-duration estimate comes from cdkcheck.template.deploy_duration (the same one CDKC-D1
uses); the expiry is known only for credentials nothing renews (environment
variables with AWS_CREDENTIAL_EXPIRATION, as CI jobs export them).
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.deploy_duration import CDK_DEFAULT_CONCURRENCY, estimate_environment
from cdkcheck.updates.plan import update_actions_or_none
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Violation

META = RuleMeta(
    id="CDKC-L9",
    name="deploy-credentials",
    summary="The AWS credentials reach a different account than the environment deploys to, or expire before "
            "the estimated end of the deploy.",
    severity=Severity.ERROR,
    resource_types=("AWS::CloudFormation::Stack",),
    rationale=(
        "Credentials for the wrong account make every account check meaningless and the deploy fail or land "
        "elsewhere. Session credentials that expire mid-deploy make the CDK CLI fail with ExpiredToken while "
        "CloudFormation carries on (aws/aws-cdk#19359): AssumeRole defaults to 1 hour and role chaining is "
        "capped at 1 hour."
    ),
    docs_url="https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html",
    fix="Use credentials for the environment's account (profile = ... in the config), or request a longer "
        "session (DurationSeconds, the role's MaxSessionDuration) than the deploy needs.",
    example="A CI job whose OIDC role session has 20 minutes left, deploying stacks estimated at 65 minutes.",
    needs_live=True,
    suppressible=False,
)
DEFAULT_OPTIONS = {
    "concurrency": CDK_DEFAULT_CONCURRENCY,
    "use_upper_bound": False,  # compare with the pessimistic deploy estimate
}


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    who = ctx.facts.identity()
    expected = ctx.environment.account
    if expected and who.account != expected:
        yield Violation(stack=None, logical_id=None,
                        message=f"the credentials ({who.arn}) reach account {who.account}, but environment "
                                f"'{ctx.environment.name}' deploys to {expected}",
                        evidence={"caller_account": who.account, "caller_arn": who.arn, "expected_account": expected,
                                  "source": "sts.get_caller_identity"})
        return
    if who.seconds_left is None or not ctx.stacks:
        return
    upper = bool(ctx.option("use_upper_bound", False))
    estimate = estimate_environment(ctx.stacks, ctx.environment, changes=update_actions_or_none(
        ctx.stacks, ctx.facts, region=ctx.environment.region, account=ctx.environment.account))
    minutes = estimate.total(int(ctx.option("concurrency", CDK_DEFAULT_CONCURRENCY)), upper=upper)
    left = who.seconds_left / 60
    if left >= minutes:
        return
    yield Violation(stack=None, logical_id=None,
                    message=f"the credentials ({who.credential_source}) expire in {left:.0f} min, but the deploy is "
                            f"estimated at {minutes:.0f} min ({'upper bound' if upper else 'typical'}): the CDK CLI "
                            "would fail with ExpiredToken mid-deploy",
                    evidence={"minutes_left": round(left, 1), "estimate_minutes": round(minutes, 1),
                              "credential_source": who.credential_source, "caller_arn": who.arn,
                              "estimate": estimate.summary()},
                    severity=Severity.ERROR)


RULE = Rule(meta=META, evaluate=evaluate, default_options=DEFAULT_OPTIONS)
