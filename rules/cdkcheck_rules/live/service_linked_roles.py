"""CDKC-L5: a service-linked role the stacks need is missing, or one they declare exists already.

CloudFormation does not create the role OpenSearch needs for a VPC domain, and
declaring an AWS::IAM::ServiceLinkedRole that the account already has fails
the create: both are facts of the account, read with iam:GetRole.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import deployed_logical_ids, literal, require_account, resources_of

# AWSServiceName -> the role IAM creates for it.
ROLE_FOR_SERVICE = {
    "opensearchservice.amazonaws.com": "AWSServiceRoleForAmazonOpenSearchService",
    "es.amazonaws.com": "AWSServiceRoleForAmazonElasticsearchService",
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "elasticache.amazonaws.com": "AWSServiceRoleForElastiCache",
    "rds.amazonaws.com": "AWSServiceRoleForRDS",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
    "ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService",
}
OPENSEARCH_ROLES = ("AWSServiceRoleForAmazonOpenSearchService", "AWSServiceRoleForAmazonElasticsearchService")
ECS_ROLE = "AWSServiceRoleForECS"

META = RuleMeta(
    id="CDKC-L5",
    name="service-linked-roles",
    summary="A VPC OpenSearch domain (or ECS) needs a service-linked role the account lacks, or the stacks declare "
            "a service-linked role that already exists.",
    severity=Severity.ERROR,
    resource_types=("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain", "AWS::ECS::Service",
                    "AWS::ECS::Cluster", "AWS::IAM::ServiceLinkedRole"),
    rationale=(
        "OpenSearch Service needs AWSServiceRoleForAmazonOpenSearchService to put a domain into a VPC and "
        "CloudFormation does not create it: 'Before you can proceed, you must enable a service-linked role to "
        "give Amazon OpenSearch Service permissions to access your VPC' (aws/copilot-cli#3006, aws-cdk#3734). "
        "ECS creates its role on first use, racing the first service ('Unable to assume the service linked "
        "role'). Declaring a service-linked role that exists fails with 'has been taken in this account'."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr.html",
    fix=(
        "Create the role once per account (aws iam create-service-linked-role --aws-service-name "
        "opensearchservice.amazonaws.com), or declare AWS::IAM::ServiceLinkedRole only in accounts that do not "
        "have it yet (a context flag or a custom resource that tolerates an existing role)."
    ),
    example="opensearchservice.Domain with vpc= in a fresh account: the create fails after minutes of waiting.",
    needs_live=True,
)


def _declared_role(ctx: RuleContext, stack: Stack, resource: Resource) -> str | None:
    service = literal(ctx, stack, resource, "AWSServiceName")
    if not isinstance(service, str) or service not in ROLE_FOR_SERVICE:
        return None
    suffix = literal(ctx, stack, resource, "CustomSuffix")
    return ROLE_FOR_SERVICE[service] + (f"_{suffix}" if isinstance(suffix, str) and suffix else "")


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    declared = list(resources_of(ctx, ("AWS::IAM::ServiceLinkedRole",)))
    vpc_domains = [(s, r) for s, r in resources_of(ctx, ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"))
                   if r.properties.get("VPCOptions")]
    ecs = list(resources_of(ctx, ("AWS::ECS::Service",)))
    if not (declared or vpc_domains or ecs):
        return
    require_account(ctx)
    declared_roles = {}
    for stack, resource in declared:
        role = _declared_role(ctx, stack, resource)
        if role is None:
            yield Undetermined(stack, resource.logical_id, "the service-linked role's name is not known before deploy")
        else:
            declared_roles[role] = (stack, resource)
    wanted = set(declared_roles) | ({*OPENSEARCH_ROLES} if vpc_domains else set()) | ({ECS_ROLE} if ecs else set())
    ctx.facts.prefetch(tuple(("role_exists", name) for name in sorted(wanted)))

    for role, (stack, resource) in sorted(declared_roles.items()):
        if resource.logical_id in deployed_logical_ids(ctx, stack):
            continue  # created by this stack already
        try:
            exists = ctx.facts.role_exists(role)
        except FactUnavailable as unavailable:
            yield Undetermined(stack, resource.logical_id, unavailable.reason)
            continue
        if exists:
            yield Violation(stack=stack, logical_id=resource.logical_id,
                            message=f"service-linked role {role} already exists in the account: creating it again "
                                    "fails ('has been taken in this account')",
                            evidence={"role": role, "source": "iam.get_role"},
                            fix="remove the AWS::IAM::ServiceLinkedRole from the stack for this account")
    if vpc_domains and not any(r in declared_roles for r in OPENSEARCH_ROLES):
        yield from _needed(ctx, vpc_domains, OPENSEARCH_ROLES, "an OpenSearch domain in a VPC", None,
                           "opensearchservice.amazonaws.com")
    if ecs and ECS_ROLE not in declared_roles:
        yield from _needed(ctx, ecs[:1], (ECS_ROLE,), "ECS", Severity.WARNING, "ecs.amazonaws.com")


def _needed(ctx: RuleContext, users: list[tuple[Stack, Resource]], roles: tuple[str, ...], what: str,
            severity: Severity | None, service: str) -> Iterator[Outcome]:
    stack, resource = users[0]
    try:
        present = [r for r in roles if ctx.facts.role_exists(r)]
    except FactUnavailable as unavailable:
        yield Undetermined(stack, resource.logical_id, unavailable.reason)
        return
    if present:
        return
    yield Violation(stack=stack, logical_id=resource.logical_id,
                    message=f"the account has no {roles[0]}, which {what} needs; CloudFormation does not create it",
                    evidence={"role": roles[0], "also_accepted": list(roles[1:]), "source": "iam.get_role",
                              "used_by": [f"{s.display_name}/{r.logical_id}" for s, r in users]},
                    severity=severity,
                    fix=f"aws iam create-service-linked-role --aws-service-name {service} (once per account)")


RULE = Rule(meta=META, evaluate=evaluate)
