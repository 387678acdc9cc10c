"""CDKC-P5: a trust, key or resource policy names a principal that does not exist, or a malformed service.

IAM and KMS resolve every principal when the policy is saved: an IAM role or user of the account that
does not exist fails the create ("Invalid principal in policy", "MalformedPolicyDocumentException:
Policy contains a statement with one or more invalid principals"). The account's roles and users come
from one iam:ListRoles and one iam:ListUsers.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.iam_policies import PRINCIPAL_POLICIES, principals_of
from cdkcheck.template.intrinsics import resolve, resource_exists
from cdkcheck_rules.live.common import deployed_logical_ids, require_account
from cdkcheck_rules.permissions.common import parse_arn, stack_env

DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
# A service principal is a DNS name under an AWS service domain.
SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com|api\.aws)$")

META = RuleMeta(
    id="CDKC-P5",
    name="policy-principal-missing",
    summary="An IAM trust policy, KMS key policy or resource policy names an IAM role or user of the account that "
            "does not exist, or a service principal that is not a service's name.",
    severity=Severity.ERROR,
    resource_types=tuple(PRINCIPAL_POLICIES) + ("AWS::Lambda::Permission",),
    rationale=(
        "IAM and KMS turn every principal ARN into the principal's unique id when the policy is saved, so a role "
        "or user that does not exist (deleted, misspelled, not yet created in this account) fails the create: "
        "'Invalid principal in policy' (IAM, S3, SQS, SNS) or 'MalformedPolicyDocumentException: Policy "
        "contains a statement with one or more invalid principals' (KMS). Roles and users the same deploy "
        "creates, the account root, and principals of other accounts (not visible from this one: UNKNOWN) are "
        "not counted as missing. A service principal must be a service's DNS name (lambda.amazonaws.com, "
        "logs.us-east-1.amazonaws.com); anything else is a warning. Read with iam:ListRoles and iam:ListUsers."
    ),
    docs_url=DOCS,
    fix="Create the role or user first (or in the same stack and reference it), fix its name or account, or "
        "use the service's principal name.",
    example="kms.Key(..., policy=...) granting iam.ArnPrincipal('arn:aws:iam::111111111111:role/ci-deployer') "
            "where that role was renamed.",
    needs_live=True,
    facts=(SourcedFact("A principal that does not exist makes IAM reject the policy ('Invalid principal in "
                       "policy')", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    named: list[tuple[Stack, Resource, str, str]] = []  # (stack, resource, kind, arn)
    created: dict[str, set[str]] = {"role": set(), "user": set()}
    for stack in ctx.stacks:
        for kind, names in _created_names(stack, stack_env(ctx, stack)).items():
            created[kind] |= names
    for stack in ctx.stacks:
        env = stack_env(ctx, stack)
        for resource in stack.template.resources.values():
            if resource.type not in PRINCIPAL_POLICIES and resource.type != "AWS::Lambda::Permission":
                continue
            if resource_exists(resource, stack.template, env) is False:
                continue
            for kind, value in _principals(resource, stack, env):
                if kind == "Service":
                    if isinstance(value, str) and not SERVICE_PRINCIPAL.match(value):
                        yield Violation(stack=stack, logical_id=resource.logical_id, severity=Severity.WARNING,
                                        message=f"service principal '{value}' is not an AWS service's name "
                                                "(service.amazonaws.com): the policy names no service",
                                        evidence={"principal": value, "docs": DOCS})
                    continue
                if kind != "AWS" or not isinstance(value, str):
                    continue
                arn = parse_arn(value)
                if arn is None or arn.service != "iam" or arn.kind not in ("role", "user"):
                    continue
                if arn.name in created.get(arn.kind, set()):
                    continue
                named.append((stack, resource, arn.kind, value))
    if not named:
        return
    account = require_account(ctx).account
    listings: dict[str, Any] = {}
    for stack, resource, kind, value in named:
        arn = parse_arn(value)
        if arn.account and arn.account != account:
            yield Undetermined(stack, resource.logical_id, f"{value} is in account {arn.account}: cdkcheck reads only "
                                                           f"the environment's account {account}", required=False)
            continue
        if kind not in listings:
            try:
                listings[kind] = ctx.facts.iam_principals(kind)
            except FactUnavailable as unavailable:
                listings[kind] = unavailable
        found = listings[kind]
        if isinstance(found, FactUnavailable):
            yield Undetermined(stack, resource.logical_id, found.reason)
            continue
        if arn.name in found:
            continue
        if resource.logical_id in deployed_logical_ids(ctx, stack):
            severity = Severity.WARNING  # saved before the principal went away: fails on the next change of it
        else:
            severity = None
        yield Violation(stack=stack, logical_id=resource.logical_id, severity=severity,
                        message=f"the policy names IAM {kind} {arn.name} ({value}), which does not exist in account "
                                f"{account}: the create fails ('Invalid principal in policy')",
                        evidence={"principal": value, "kind": kind, "source": f"iam.list_{kind}s", "docs": DOCS})


def _principals(resource: Resource, stack: Stack, env) -> Iterator[tuple[str, Any]]:
    if resource.type == "AWS::Lambda::Permission":
        principal = resolve(resource.properties.get("Principal"), stack.template, env)
        if isinstance(principal, str):
            yield ("AWS" if principal.startswith("arn:") else
                   "Service" if "." in principal else "Account"), principal
        return
    properties = resource.properties if isinstance(resource.properties, Mapping) else {}
    document = properties.get(PRINCIPAL_POLICIES[resource.type])
    for kind, value, _ in principals_of(document, stack.template, env):
        yield kind, resolve(value, stack.template, env) if not isinstance(value, str) else value


def _created_names(stack: Stack, env) -> dict[str, set[str]]:
    """Role and user names this stack creates (they exist once it deploys)."""
    names: dict[str, set[str]] = {"role": set(), "user": set()}
    for resource in stack.template.of_type("AWS::IAM::Role", "AWS::IAM::User"):
        prop = "RoleName" if resource.type == "AWS::IAM::Role" else "UserName"
        name = resolve(resource.properties.get(prop), stack.template, env) if isinstance(resource.properties,
                                                                                         Mapping) else None
        if isinstance(name, str):
            names["role" if resource.type == "AWS::IAM::Role" else "user"].add(name)
    return names


RULE = Rule(meta=META, evaluate=evaluate)
