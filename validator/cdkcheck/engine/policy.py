"""Which findings block a deploy, per environment.

The analyzers and rules report what they see with a severity; whether it stops
the deploy is this module's decision, in one place, driven by the config and,
for cfn-lint, by the reviewed list in data/cfn_lint_blocking.toml: a cfn-lint
finding blocks only when its id is there (each with the reason the create or
update fails) or the environment opts it in (`cfn_lint_blocking`). Listed ids
that are wrong for some CDK shapes are narrowed here, by id.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Mapping, Sequence

from cdkcheck.config import EnvironmentConfig
from cdkcheck.model import Finding, Severity, Source, Stack

# Reports that a check could not run; the UNKNOWN outcome beside them decides the verdict.
DEPLOY_DURATION_RULE = "CDKC-D1"
EMPTY_STACK_RULE = "CDKC-EMPTY-STACK"  # cdk deploy skips a stack with no resources: nothing can fail
NEVER_BLOCKING = {"CDKC-ANALYZER-FAILED", "CDKC-RULE-CRASHED", EMPTY_STACK_RULE}


@dataclass(frozen=True)
class BlockingEntry:
    rule_id: str
    reason: str  # what CloudFormation or the service does with such a template
    source: str
    narrow: str | None = None  # when the id does not block after all


@lru_cache(maxsize=1)
def _cfn_lint_review() -> Mapping[str, Mapping[str, BlockingEntry]]:
    """The reviewed catalogue, as shipped in the package (cdkcheck/data/cfn_lint_blocking.toml)."""
    text = resources.files("cdkcheck").joinpath("data", "cfn_lint_blocking.toml").read_text(encoding="utf-8")
    return {table: {rule_id: BlockingEntry(rule_id=rule_id, reason=entry["reason"], source=entry["source"],
                                           narrow=entry.get("narrow"))
                     for rule_id, entry in entries.items()}
            for table, entries in tomllib.loads(text).items()}


def cfn_lint_blocking() -> Mapping[str, BlockingEntry]:
    """The cfn-lint ids whose findings block, each with why the create or update fails."""
    return _cfn_lint_review()["block"]


@dataclass(frozen=True)
class PackAdvisory:
    rule_id: str
    reason: str  # why the finding does not mean the deploy fails
    evidence: str  # where the deployed-template corpus shows it


@lru_cache(maxsize=1)
def preflight_advisory() -> Mapping[str, PackAdvisory]:
    """cdk-preflight ERROR rules demoted to advice, each with the corpus evidence (data/preflight_policy.toml)."""
    text = resources.files("cdkcheck").joinpath("data", "preflight_policy.toml").read_text(encoding="utf-8")
    return {rule_id: PackAdvisory(rule_id=rule_id, reason=entry["reason"], evidence=entry["evidence"])
            for rule_id, entry in tomllib.loads(text)["advisory"].items()}


def cfn_lint_advisory() -> Mapping[str, BlockingEntry]:
    """The cfn-lint error ids reviewed as advice, each with why CloudFormation does not refuse the deploy."""
    return _cfn_lint_review()["advisory"]


@dataclass(frozen=True)
class PolicyContext:
    """What narrowings read: the selected stacks (a finding's resource and its properties)."""

    stacks: Sequence[Stack] = ()

    def stack_of(self, finding: Finding) -> Stack | None:
        return next((s for s in self.stacks if s.display_name == finding.stack), None)

    def resource_properties(self, finding: Finding) -> Mapping | None:
        stack = self.stack_of(finding)
        resource = stack.template.resources.get(finding.logical_id or "") if stack is not None else None
        return resource.properties if resource is not None else None


# A narrowing answers "does this listed finding block here?" for the shapes its note in the data file names.
Narrowing = Callable[[Finding, PolicyContext], bool]


def _health_check_port_set(finding: Finding, context: PolicyContext) -> bool:
    """E3049: cfn-lint reports a missing HealthCheckPort too; omitted means traffic-port, which is right."""
    properties = context.resource_properties(finding)
    if properties is None:
        return True  # the target group is not in the template we read: keep cfn-lint's word
    return "HealthCheckPort" in properties and properties["HealthCheckPort"] != "traffic-port"


def _engine_version_refused(finding: Finding, context: PolicyContext) -> bool:
    """E3690/E3691/W3690/W3691: as judged by engine_versions (major-only versions, the account's answer)."""
    judgement = finding.evidence.get("engine_version") if isinstance(finding.evidence, Mapping) else None
    if not isinstance(judgement, Mapping) or "offered" not in judgement:
        return True  # not judged (an intrinsic, an unknown engine): cfn-lint's static data stands
    return not judgement["offered"]


def _policy_resource_not_an_arn(finding: Finding, context: PolicyContext) -> bool:
    """E3510: only a Resource that is not '*' nor 'arn:...' is refused; cfn-lint's full grammar is advice."""
    parts = (finding.property_path or "").split("/")
    if "Resource" not in parts and "NotResource" not in parts:
        return False
    value, _, rest = finding.message.partition(" does not match ")
    if not rest:
        return False
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, str) and value != "*" and not value.startswith("arn:")


_REGULAR_ZONE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d[a-z]$")  # us-east-1a; not us-east-1-bos-1a


def _alb_subnets_all_in_regular_zones(finding: Finding, context: PolicyContext) -> bool:
    """E3680: one subnet is allowed when it is in a Local Zone, so block only on subnets known to be regular."""
    stack = context.stack_of(finding)
    properties = context.resource_properties(finding)
    if stack is None or properties is None:
        return True
    entries = properties.get("Subnets")
    if not isinstance(entries, list):
        mappings = properties.get("SubnetMappings")
        entries = [m.get("SubnetId") for m in mappings if isinstance(m, dict)] if isinstance(mappings, list) else []
    if not entries:
        return True
    for entry in entries:
        ref = entry.get("Ref") if isinstance(entry, dict) else None
        subnet = stack.template.resources.get(ref) if isinstance(ref, str) else None
        if subnet is None or subnet.type != "AWS::EC2::Subnet":
            return False  # an existing subnet: its zone (Local Zone or not) is the account's
        zone = subnet.properties.get("AvailabilityZone")
        if isinstance(zone, str) and not _REGULAR_ZONE.match(zone):
            return False  # a Local Zone (or Wavelength) subnet: one is enough
        if isinstance(zone, dict) and "Ref" in zone:
            return False  # a parameter: could name a Local Zone
    return True  # no zone (EC2 picks a regular one), a literal regular zone, or Fn::GetAZs


NARROWINGS: dict[str, Narrowing] = {
    "E3680": _alb_subnets_all_in_regular_zones,
    "E3049": _health_check_port_set,
    "E3510": _policy_resource_not_an_arn,
    "E3690": _engine_version_refused,
    "E3691": _engine_version_refused,
    "W3690": _engine_version_refused,
    "W3691": _engine_version_refused,
}


def _cfn_lint_blocks(finding: Finding, environment: EnvironmentConfig, context: PolicyContext) -> bool:
    opted_in = environment.cfn_lint_blocking
    if "*" in opted_in or finding.rule_id in opted_in:
        return True
    if finding.rule_id not in cfn_lint_blocking():
        return False
    narrowing = NARROWINGS.get(finding.rule_id)
    return narrowing is None or narrowing(finding, context)


def is_blocking(finding: Finding, environment: EnvironmentConfig, context: PolicyContext | None = None) -> bool:
    if finding.suppression is not None or finding.rule_id in NEVER_BLOCKING:
        return False
    if finding.source is Source.CHECKOV:
        wanted = environment.checkov_blocking
        return "*" in wanted or finding.rule_id in wanted
    if finding.source is Source.CFN_LINT:
        return _cfn_lint_blocks(finding, environment, context or PolicyContext())
    if finding.source is Source.PREFLIGHT:
        # The pack's ERROR rules are reproduced deploy failures; its WARN (doc-only) rules are advice.
        return (environment.preflight == "blocking" and finding.severity is Severity.ERROR
                and finding.rule_id not in preflight_advisory())
    if finding.rule_id == DEPLOY_DURATION_RULE and environment.deploy_time_blocking:
        return True  # the deploy would outlive the job or its credentials
    return finding.severity.at_least(environment.fail_on)


def apply_policy(findings: Iterable[Finding], environment: EnvironmentConfig,
                 context: PolicyContext | None = None) -> list[Finding]:
    decided = []
    for f in findings:
        blocking = is_blocking(f, environment, context)
        entry = cfn_lint_blocking().get(f.rule_id) if f.source is Source.CFN_LINT else None
        if entry is not None and entry.narrow and not blocking and f.suppression is None:
            # Listed, but not in this shape: the JSON report says why it is only advice here.
            f = replace(f, evidence={**f.evidence, "policy": f"advisory in this shape: {entry.narrow}"})
        demoted = preflight_advisory().get(f.rule_id) if f.source is Source.PREFLIGHT else None
        if demoted is not None and f.suppression is None:
            f = replace(f, evidence={**f.evidence, "policy": f"advisory: {demoted.reason} ({demoted.evidence})"})
        decided.append(replace(f, blocking=blocking))
    return decided
