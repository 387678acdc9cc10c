"""Ids and ARNs in a template left as the sample code wrote them: `vpc-xxxxxxxxxx`, `subnet-yyyyyyyy`,
`arn:aws:iam::xxxxxxxxxxxx:role/r`.

An imported VPC (`Vpc.fromVpcAttributes`, `Subnet.fromSubnetId`) puts such a
value into the template as it is; EC2 ids are hex digits, so CloudFormation's
call fails on it (InvalidVpcID.Malformed, InvalidSubnetID.Malformed): an error.
An ARN with a placeholder account or region names nothing that exists, but not
every service checks an ARN at create (IAM policies, EventBridge targets take
it; deployed aws-cdk integ snapshots hold such ARNs), so it is a warning.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Sequence

from cdkcheck.model import Finding, Severity, Source, Stack
from cdkcheck.template.placeholders import placeholder_arn, placeholder_id, template_placeholders

PLACEHOLDER_VALUE_RULE = "CDKC-PLACEHOLDER-VALUE"
DOCS_URL = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html"
MAX_VALUES_NAMED = 5
_TOKEN = re.compile(r"[A-Za-z0-9:/_.*+=@-]+")


def placeholder_value_findings(stacks: Sequence[Stack]) -> list[Finding]:
    findings = []
    for stack in stacks:
        for logical_id, resource in sorted(stack.template.resources.items()):
            found = list(template_placeholders(resource.properties))
            if not found:
                continue
            malformed_id = any(placeholder_id(value) for _, value in found)
            named = ", ".join(f"{path} = {value!r}" for path, value in found[:MAX_VALUES_NAMED])
            more = f" and {len(found) - MAX_VALUES_NAMED} more" if len(found) > MAX_VALUES_NAMED else ""
            findings.append(Finding(
                rule_id=PLACEHOLDER_VALUE_RULE,
                source=Source.CDKCHECK,
                severity=Severity.ERROR if malformed_id else Severity.WARNING,
                message=f"{named}{more}: left as the sample code wrote {'it' if len(found) == 1 else 'them'} "
                        "(a placeholder, not a real id or ARN); "
                        + ("EC2 rejects a malformed id, the deploy fails on it" if malformed_id
                           else "it names nothing that exists"),
                stack=stack.display_name,
                logical_id=logical_id,
                construct_path=resource.construct_path,
                property_path=found[0][0],
                fix="put the real id or ARN in the app (or read it from context or a lookup), then check again",
                evidence={"values": {path: value for path, value in found}, "docs": DOCS_URL},
            ))
    return findings


def name_placeholders(findings: Iterable[Finding]) -> list[Finding]:
    """Other findings (cfn-lint's id pattern, a live 'subnet does not exist') that meet such a value say so."""
    named = []
    for f in findings:
        if f.rule_id != PLACEHOLDER_VALUE_RULE:
            found = [t for t in dict.fromkeys(_TOKEN.findall(f.message)) if placeholder_id(t) or placeholder_arn(t)]
            if found:
                values = ", ".join(repr(t) for t in found)
                f = replace(f, message=f"{f.message} ({values}: a placeholder left from sample code; fill it in)")
        named.append(f)
    return named
