"""CDKC-O6: dedicated master count above the service limit, or even."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES, cluster_path, property_path
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

MAX_DEDICATED_MASTERS = 5

META = RuleMeta(
    id="CDKC-O6",
    name="opensearch-dedicated-master-count",
    summary="More than 5 dedicated master nodes (create fails), or an even number (discouraged).",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "\"Dedicated master instances per domain\" is a fixed quota of 5 (not adjustable), so a larger "
        "DedicatedMasterCount fails the create. An even count (2 or 4) deploys but buys no extra fault "
        "tolerance over the odd count below it and risks a split vote; AWS recommends three. Neither CDK nor "
        "cfn-lint checks the count. Only evaluated when DedicatedMasterEnabled is true."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-dedicatedmasternodes.html",
    fix="Use three dedicated master nodes (five for the largest domains); CDK: capacity.masterNodes.",
    example="capacity=CapacityConfig(master_nodes=6) or master_nodes=4.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        enabled = view.flag(domain, cluster_path(domain, "DedicatedMasterEnabled"), default=False)
        count = view.number(domain, cluster_path(domain, "DedicatedMasterCount"))
        if isinstance(enabled, Unknown):
            yield undetermined(view, domain, "DedicatedMasterEnabled", enabled)
            continue
        if not enabled or count is None:
            continue
        if isinstance(count, Unknown):
            yield undetermined(view, domain, "DedicatedMasterCount", count)
            continue
        count = int(count)
        evidence = {"dedicated_masters": count, "maximum": MAX_DEDICATED_MASTERS}
        path = property_path(cluster_path(domain, "DedicatedMasterCount"))
        if count > MAX_DEDICATED_MASTERS:
            yield violation_or_undetermined(
                view, domain, f"{count} dedicated master nodes: a domain can have at most "
                              f"{MAX_DEDICATED_MASTERS} (fixed quota), the create fails",
                evidence=evidence, property_path=path)
        elif count % 2 == 0:
            yield violation_or_undetermined(
                view, domain, f"{count} dedicated master nodes: an even count tolerates no more failures than "
                              f"{count - 1} and can split the vote; use 3 (or 5)",
                evidence=evidence, property_path=path, severity=Severity.WARNING)


RULE = Rule(meta=META, evaluate=evaluate)
