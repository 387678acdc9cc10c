"""CDKC-O9: an explicit domain name the service does not accept."""

from __future__ import annotations

import re
from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

MIN_LENGTH, MAX_LENGTH = 3, 28
_ALLOWED = re.compile(r"^[a-z][a-z0-9-]*$")

META = RuleMeta(
    id="CDKC-O9",
    name="opensearch-domain-name",
    summary="DomainName is not 3-28 characters of a-z, 0-9 and hyphens starting with a lowercase letter.",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "Domain names must start with a lowercase letter, contain only lowercase letters, digits and hyphens, "
        "and be 3-28 characters long; anything else fails the create. CDK's Domain validates a literal "
        "domainName, but not CfnDomain nor a name built with Fn::Join/Fn::Sub from parameters or the stack "
        "name (checked here once resolved); cfn-lint does not check the pattern. Whether the name is already "
        "taken in the account is a live check."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createupdatedomains.html",
    fix="Choose a name of 3-28 characters: a lowercase letter first, then lowercase letters, digits or hyphens.",
    example="DomainName: {'Fn::Sub': '${AWS::StackName}-search'} with the stack name CourtCase-Production-Data.",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        name = view.prop(domain, "DomainName")
        if name is None:
            continue  # CloudFormation generates a valid name
        if isinstance(name, Unknown):
            yield undetermined(view, domain, "DomainName", name)
            continue
        if not isinstance(name, str):
            continue
        problems = []
        if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
            problems.append(f"is {len(name)} characters long ({MIN_LENGTH}-{MAX_LENGTH} allowed)")
        if not name[:1].islower() or not name[:1].isascii() or not name[:1].isalpha():
            problems.append("does not start with a lowercase letter")
        bad = sorted({c for c in name if not re.match(r"[a-z0-9-]", c)})
        if bad:
            problems.append(f"contains {', '.join(repr(c) for c in bad)}")
        if not problems:
            continue
        yield violation_or_undetermined(
            view, domain, f"domain name {name!r} " + "; ".join(problems) + ": the create fails",
            evidence={"domain_name": name, "length": len(name), "allowed_length": [MIN_LENGTH, MAX_LENGTH],
                      "invalid_characters": bad},
            property_path="Properties/DomainName")


RULE = Rule(meta=META, evaluate=evaluate)
