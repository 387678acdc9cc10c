"""CDKC-L10: a secret or SSM parameter the templates reference does not exist (or is being deleted).

Dynamic references ({{resolve:secretsmanager:...}}, {{resolve:ssm:...}}, {{resolve:ssm-secure:...}}),
ECS container secrets and repository credentials, and SSM-typed template parameters are resolved
when the stack deploys or the task starts; a missing secret fails the deploy after everything before
it was created, and a rollback follows. One listing of the region's secrets and one DescribeParameters
per 50 names answer every reference. Only metadata is read, never a value.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import require_account
from cdkcheck.template.secret_ids import (is_aws_public_parameter, names_differing_only_in_suffix, parse_arn,
                                 secret_id_location, ssm_parameter_names)
from cdkcheck.template.secret_references import SECRETS_MANAGER, SecretReference, references

META = RuleMeta(
    id="CDKC-L10",
    name="referenced-secret-missing",
    summary="A Secrets Manager secret or SSM parameter the templates reference does not exist in the target "
            "account and region, or is scheduled for deletion.",
    severity=Severity.ERROR,
    resource_types=("AWS::ECS::TaskDefinition", "AWS::SecretsManager::Secret", "AWS::SSM::Parameter"),
    rationale=(
        "CloudFormation resolves dynamic references ({{resolve:secretsmanager:ID:...}}, {{resolve:ssm:NAME}}, "
        "{{resolve:ssm-secure:NAME}}) while it creates the resource, and ECS resolves "
        "ContainerDefinitions[].Secrets[].ValueFrom and RepositoryCredentials.CredentialsParameter when a task "
        "starts: a secret that does not exist fails with \"Secrets Manager can't find the specified secret\" "
        "(aws-cloudformation/cloudformation-coverage-roadmap#1187, aws/aws-cdk#16700, aws/aws-cdk#24130), "
        "typically after 20-40 minutes of other resources, then the stack rolls back. A secret scheduled for "
        "deletion cannot be resolved either (AWS: 'You can't perform this operation on the secret because it "
        "was marked for deletion'). Facts relied on: a secret id is a name, a full ARN, or a partial ARN "
        "without the '-' and 6 random characters Secrets Manager appends (a full ARN with another suffix "
        "names an earlier secret of that name); ECS ValueFrom is a secret ARN or a parameter ARN or name; an "
        "SSM parameter ARN drops the name's leading '/'; ECS resolves ValueFrom and CredentialsParameter by the "
        "complete ARN, so a partial ARN (Secret.from_secret_name_v2) of an existing secret is a warning: tasks "
        "fail to start fetching it (aws/aws-cdk#20744, #18555, #11526). Secrets come from one secretsmanager:ListSecrets "
        "with IncludePlannedDeletion (ListSecrets is eventually consistent: a secret created in the last "
        "minutes may not show), parameters from ssm:DescribeParameters by exact name; values are never read. "
        "A reference to a secret or parameter the same deploy creates (Ref / GetAtt to it, an RDS managed "
        "master secret, or the same literal name) is fine; AWS public parameters (/aws/...) are not in the "
        "account's list and are not checked; a reference into another account or region, or one whose id "
        "is known only at deploy time, is UNKNOWN."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html",
    fix=(
        "Create the secret or parameter before deploying (or in the same stack and reference it with Ref), "
        "fix the name or ARN, or restore a secret scheduled for deletion (aws secretsmanager restore-secret)."
    ),
    example="ecs.Secret.from_secrets_manager(sm.Secret.from_secret_name_v2(self, 'Registry', 'ci/registry')) "
            "for a registry secret that was never created in the production account.",
    needs_live=True,
)

# ECS resolves ValueFrom / CredentialsParameter by the exact ARN; partial ARNs from fromSecretNameV2 fail.
_ECS_PARTIAL_ARN_ISSUES = ("https://github.com/aws/aws-cdk/issues/20744", "https://github.com/aws/aws-cdk/issues/18555",
                           "https://github.com/aws/aws-cdk/issues/11526")
_DOCS_SSM = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html"


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    found = references(ctx.stacks, region=ctx.environment.region, account=ctx.environment.account)
    named: list[SecretReference] = []
    for ref in found:
        if ref.created_by:
            continue
        if ref.unknown:
            yield Undetermined(ref.stack, ref.logical_id, f"{ref.where}: the {_noun(ref)} is not known before "
                                                          f"deploy ({ref.unknown})")
            continue
        if ref.service != SECRETS_MANAGER and all(is_aws_public_parameter(n) for n in _parameter_names(ref)):
            continue  # published by AWS, not listed in the account (see the rationale)
        named.append(ref)
    if not named:
        return
    account = require_account(ctx).account
    to_check: list[SecretReference] = []
    for ref in named:
        elsewhere = _elsewhere(ctx, account, ref)
        if elsewhere:
            yield Undetermined(ref.stack, ref.logical_id, f"{ref.where}: {ref.identifier} is {elsewhere}; "
                                                          "cdkcheck reads only the environment's own account and region")
        else:
            to_check.append(ref)
    secret_ids = tuple(sorted({r.identifier for r in to_check if r.service == SECRETS_MANAGER}))
    parameter_names = tuple(sorted({n for r in to_check if r.service != SECRETS_MANAGER
                                    for n in _parameter_names(r)}))
    questions = ((("secrets", secret_ids),) if secret_ids else ()) + \
        ((("ssm_parameters", parameter_names),) if parameter_names else ())
    ctx.facts.prefetch(questions)
    secrets = present = None
    secrets_unavailable = parameters_unavailable = None
    if secret_ids:
        try:
            secrets = ctx.facts.secrets(secret_ids)
        except FactUnavailable as unavailable:
            secrets_unavailable = unavailable.reason
    if parameter_names:
        try:
            present = ctx.facts.ssm_parameters(parameter_names)
        except FactUnavailable as unavailable:
            parameters_unavailable = unavailable.reason
    for ref in to_check:
        if ref.service == SECRETS_MANAGER:
            if secrets is None:
                yield Undetermined(ref.stack, ref.logical_id, f"{ref.where}: {secrets_unavailable}")
                continue
            yield from _secret_outcome(ctx, ref, secrets)
        else:
            if present is None:
                yield Undetermined(ref.stack, ref.logical_id, f"{ref.where}: {parameters_unavailable}")
                continue
            if not any(n in present for n in _parameter_names(ref)):
                yield Violation(
                    stack=ref.stack, logical_id=ref.logical_id,
                    message=f"SSM parameter '{ref.identifier}' ({ref.via}) does not exist in "
                            f"{_where(ctx)}; the deploy fails resolving it",
                    evidence={"service": "ssm", "reference": ref.identifier, "via": ref.via,
                              "source": "ssm.describe_parameters (Name Equals)", "docs": _DOCS_SSM},
                    property_path=ref.property_path)


def _secret_outcome(ctx: RuleContext, ref: SecretReference, secrets) -> Iterator[Outcome]:
    secret = secrets.get(ref.identifier)
    evidence = {"service": "secretsmanager", "reference": ref.identifier, "via": ref.via,
                "source": "secretsmanager.list_secrets (IncludePlannedDeletion)"}
    if secret is not None and not secret.scheduled_for_deletion:
        if ref.via.startswith("ECS") and parse_arn(ref.identifier or "") and ref.identifier != secret.arn:
            yield Violation(
                stack=ref.stack, logical_id=ref.logical_id,
                message=f"{ref.via} names secret '{secret.name}' by a partial ARN (no random suffix); ECS needs "
                        "the complete ARN, and tasks fail to start fetching it (AccessDenied or \"can't find "
                        "the specified secret\")",
                evidence={**evidence, "arn": secret.arn, "issues": _ECS_PARTIAL_ARN_ISSUES},
                property_path=ref.property_path, severity=Severity.WARNING,
                fix=f"Reference the complete ARN {secret.arn} (CDK: Secret.from_secret_complete_arn) instead of "
                    "Secret.from_secret_name_v2 / from_secret_partial_arn.")
        return
    if secret is not None:
        yield Violation(
            stack=ref.stack, logical_id=ref.logical_id,
            message=f"Secrets Manager secret '{secret.name}' ({ref.via}) is scheduled for deletion "
                    f"(since {secret.deleted_date}); it cannot be resolved: restore it or reference another secret",
            evidence={**evidence, "arn": secret.arn, "deleted_date": secret.deleted_date},
            property_path=ref.property_path,
            fix=f"aws secretsmanager restore-secret --secret-id '{secret.name}', or reference a live secret.")
        return
    recreated = names_differing_only_in_suffix(ref.identifier, [s for s in secrets.values() if s])
    hint = f" (a secret named '{recreated.name}' exists with another ARN: it was recreated)" if recreated else ""
    yield Violation(
        stack=ref.stack, logical_id=ref.logical_id,
        message=f"Secrets Manager secret '{ref.identifier}' ({ref.via}) does not exist in {_where(ctx)}{hint}; "
                "the deploy fails with \"Secrets Manager can't find the specified secret\"",
        evidence=evidence, property_path=ref.property_path)


def _parameter_names(ref: SecretReference) -> tuple[str, ...]:
    return ssm_parameter_names(ref.identifier or "")


def _elsewhere(ctx: RuleContext, own_account: str, ref: SecretReference) -> str | None:
    if parse_arn(ref.identifier or "") is None:
        return None
    account, region = secret_id_location(ref.identifier or "")
    if account and account != own_account:
        return f"in account {account}"
    if region and ctx.environment.region and region != ctx.environment.region:
        return f"in region {region}"
    return None


def _noun(ref: SecretReference) -> str:
    return "secret" if ref.service == SECRETS_MANAGER else "parameter name"


def _where(ctx: RuleContext) -> str:
    return f"account {ctx.environment.account or '?'} {ctx.environment.region or ''}".strip()


RULE = Rule(meta=META, evaluate=evaluate)
