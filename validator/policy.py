"""Which findings block a deploy, per environment.

The analyzers and rules report what they see with a severity; whether it stops
the deploy is this module's decision, in one place, driven by the config.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from cdkcheck.config import EnvironmentConfig
from cdkcheck.model import Finding, Source

# cfn-lint warnings that describe a create CloudFormation will refuse, so they block.
CREATE_FAILING_CFN_LINT_WARNINGS = {
    "W3691": "a deprecated engine version cannot create new DB instances",
    "W3690": "a deprecated engine version cannot create new DB clusters",
}
# Reports that a check could not run; the UNKNOWN outcome beside them decides the verdict.
DEPLOY_DURATION_RULE = "CDKC-D1"
NEVER_BLOCKING = {"CDKC-ANALYZER-FAILED", "CDKC-RULE-CRASHED"}


def is_blocking(finding: Finding, environment: EnvironmentConfig) -> bool:
    if finding.suppression is not None or finding.rule_id in NEVER_BLOCKING:
        return False
    if finding.source is Source.CHECKOV:
        wanted = environment.checkov_blocking
        return "*" in wanted or finding.rule_id in wanted
    if finding.source is Source.CFN_LINT and finding.rule_id in CREATE_FAILING_CFN_LINT_WARNINGS:
        return True
    if finding.rule_id == DEPLOY_DURATION_RULE and environment.deploy_time_blocking:
        return True  # the deploy would outlive the job or its credentials
    return finding.severity.at_least(environment.fail_on)


def apply_policy(findings: Iterable[Finding], environment: EnvironmentConfig) -> list[Finding]:
    return [replace(f, blocking=is_blocking(f, environment)) for f in findings]
