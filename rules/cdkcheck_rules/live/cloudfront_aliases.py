"""CDKC-L11: a CloudFront distribution claims an alternate domain name another distribution already has.

An alias (CNAME) can be attached to one distribution only; creating a second fails with
CNAMEAlreadyExists. The account's own distributions come from one cloudfront:ListDistributions.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck_rules.live.common import literal, require_account, resources_of

DOCS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html"

META = RuleMeta(
    id="CDKC-L11",
    name="cloudfront-alias-taken",
    summary="A new CloudFront distribution lists an alternate domain name (alias) that a distribution of the "
            "account already has.",
    severity=Severity.ERROR,
    resource_types=("AWS::CloudFront::Distribution",),
    rationale=(
        "'One or more of the CNAMEs you provided are already associated with a different resource' "
        "(CNAMEAlreadyExists): an alternate domain name belongs to one distribution at a time, typically the "
        "old stack's or a manually created one, and the create fails after the certificate and origins were "
        "made. The account's distributions and their aliases come from one cloudfront:ListDistributions. An "
        "alias attached to a distribution in another AWS account is not visible to this check "
        "(cloudfront:ListConflictingAliases needs a distribution of the account whose certificate covers the "
        "alias); it says so only in this rationale."
    ),
    docs_url=DOCS,
    fix="Remove the alias from the other distribution first (or move it with cloudfront associate-alias), or "
        "use another domain name.",
    example="A blue/green stack pair whose new stack's distribution lists www.example.com while the old one "
            "still serves it.",
    needs_live=True,
    facts=(SourcedFact("An alternate domain name can be added to only one distribution", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    wanted = []
    for stack, resource in resources_of(ctx, META.resource_types, new_only=True):
        config = literal(ctx, stack, resource, "DistributionConfig")
        aliases = config.get("Aliases") if isinstance(config, Mapping) else None
        if aliases is None and isinstance(resource.properties.get("DistributionConfig"), Mapping) and \
                "Aliases" in resource.properties["DistributionConfig"]:
            yield Undetermined(stack, resource.logical_id, "the distribution's aliases are known only at deploy time",
                               required=False)
            continue
        for alias in aliases if isinstance(aliases, list) else []:
            if isinstance(alias, str):
                wanted.append((stack, resource, alias))
    if not wanted:
        return
    require_account(ctx)
    try:
        taken = ctx.facts.cloudfront_aliases()
    except FactUnavailable as unavailable:
        yield Undetermined(wanted[0][0], wanted[0][1].logical_id, unavailable.reason)
        return
    for stack, resource, alias in wanted:
        owner = taken.get(alias.lower())
        if owner:
            yield Violation(stack=stack, logical_id=resource.logical_id, property_path="DistributionConfig.Aliases",
                            message=f"alias {alias} is already attached to distribution {owner} of this account: "
                                    "the create fails with CNAMEAlreadyExists",
                            evidence={"alias": alias, "distribution": owner, "source": "cloudfront.list_distributions",
                                      "docs": DOCS})


RULE = Rule(meta=META, evaluate=evaluate)
