"""CDKC-I2: a policy names a principal the same deploy creates, before it exists."""

from __future__ import annotations

from typing import Any, Iterator

from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact
from cdkcheck.template.iam_policies import PRINCIPAL_POLICIES
from cdkcheck_rules.iam.support import waits_for
from cdkcheck_rules.toolkit import Resolution, StackView, violation_or_undetermined

IDENTITIES = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName")}

META = RuleMeta(
    id="CDKC-I2",
    name="principal-created-later",
    summary="A policy names, by ARN, a role or user that the same deploy creates, and nothing makes "
            "CloudFormation create that principal first.",
    severity=Severity.ERROR,
    resource_types=tuple(PRINCIPAL_POLICIES) + ("AWS::IAM::User",),
    rationale=(
        "IAM, KMS, S3, SQS, SNS, Secrets Manager and ECR check every principal of a policy when they store it: "
        "an ARN of a role or user that does not exist yet fails with 'Invalid principal in policy' or 'Policy "
        "contains a statement with one or more invalid principals' (MalformedPolicyDocument). When the template "
        "creates that role under an explicit name and the policy spells out its ARN instead of referencing it, "
        "CloudFormation has no dependency to order them and may create the policy first; a role whose trust "
        "policy names its own ARN can never be created (aws-samples/aws-secure-environment-accelerator#1136). "
        "Principals of the environment's account are matched against the roles and users the same template "
        "creates with RoleName/UserName; a policy that references the principal (Ref, GetAtt, DependsOn, "
        "directly or through other resources) is ordered after it and passes."
    ),
    docs_url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    fix="Reference the principal instead of writing its ARN (role.role_arn / Fn::GetAtt Role.Arn, or "
        "node.add_dependency), and let a role that must trust itself trust the account root with a condition.",
    example="kms.Key(policy=...) granting ArnPrincipal('arn:aws:iam::123456789012:role/orders-worker') beside "
            "iam.Role(role_name='orders-worker') in the same stack.",
    facts=(
        SourcedFact("a principal ARN must identify an existing role or user when the policy is saved",
                    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"),
        SourcedFact("a role trusting its own ARN fails on create with 'Invalid principal in policy'",
                    "https://github.com/aws-samples/aws-secure-environment-accelerator/issues/1136"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    account = ctx.environment.account
    for view in resolution.views:
        created = dict(_created_principals(view, account or view.env.account))
        if not created:
            continue
        for resource in view.template.of_type(*PRINCIPAL_POLICIES):
            document = view.prop(resource, PRINCIPAL_POLICIES[resource.type])
            for arn in sorted(set(_aws_principals(document))):
                principal = created.get(arn)
                if principal is None:
                    continue
                if principal.logical_id == resource.logical_id:
                    reason = "the role's trust policy names the role itself, which does not exist while it is created"
                elif waits_for(resource, principal.logical_id, view.template.resources):
                    continue
                else:
                    reason = (f"{principal.construct_path or principal.logical_id} is created by this deploy and "
                              "nothing orders it first (the ARN is written out, not referenced)")
                yield violation_or_undetermined(
                    view, resource,
                    f"{PRINCIPAL_POLICIES[resource.type]} names {arn}: {reason}; the service refuses a principal "
                    "that does not exist yet ('Invalid principal in policy')",
                    evidence={"principal": arn, "created_by": principal.logical_id},
                    property_path=f"Properties/{PRINCIPAL_POLICIES[resource.type]}")


def _created_principals(view: StackView, account: str | None) -> Iterator[tuple[str, Resource]]:
    partition = view.env.partition or "aws"
    if not account:
        return
    for resource in view.template.of_type(*IDENTITIES):
        kind, name_property = IDENTITIES[resource.type]
        name = view.prop(resource, name_property)
        path = view.prop(resource, "Path", "/")
        if isinstance(name, str) and name and isinstance(path, str):
            yield f"arn:{partition}:iam::{account}:{kind}{path}{name}", resource


def _aws_principals(document: Any) -> Iterator[str]:
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict):
            continue
        principal = statement.get("Principal")
        values = principal.get("AWS") if isinstance(principal, dict) else None
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and value.startswith("arn:"):
                yield value


RULE = Rule(meta=META, evaluate=evaluate)
