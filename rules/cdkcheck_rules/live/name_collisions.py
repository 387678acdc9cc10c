"""CDKC-L6: a resource the deploy creates under an explicit name exists already.

Typical after a failed first deploy: resources with DeletionPolicy Retain or
Snapshot survive the rollback and the retry collides on their names. One
listing per kind of resource answers every name of that kind.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.template.intrinsics import ResourceRef, env_for_stack, resolve_property, resource_exists
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.template.named_resources import NAME_LOOKUPS, name_property
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, Undetermined, Violation
from cdkcheck_rules.live.common import deployed_logical_ids, literal, require_account

# Resource types cdkcheck can look names up for; which types are named at all comes from the registry
# schemas (cdkcheck.template.named_resources), so a named type without a lookup is reported, not passed.
CHECKED_TYPES = tuple(NAME_LOOKUPS)

META = RuleMeta(
    id="CDKC-L6",
    name="name-already-taken",
    summary="A resource the deploy creates has an explicit name that already exists in the account "
            "(or, for S3 buckets, anywhere).",
    severity=Severity.ERROR,
    resource_types=CHECKED_TYPES,
    rationale=(
        "CloudFormation cannot create a named resource whose name is taken: DBInstanceAlreadyExists, "
        "DBSubnetGroupAlreadyExists, 'log group already exists', 'bucket already exists', '<name> already "
        "exists' for dashboards, alarms, parameters, tables, functions and repositories. The usual causes are "
        "a leftover of an earlier failed deploy (RETAIN and SNAPSHOT removal policies keep the resource when "
        "the create rolls back, and the retry then fails on the name) and a second environment deploying the "
        "same explicit names into the same account. Named types are derived from the CloudFormation registry "
        "schemas cfn-lint ships: a single-property primaryIdentifier that is createOnly and not readOnly "
        "(plus AWS::SecretsManager::Secret Name and AWS::Elasticsearch::Domain DomainName, create-only names "
        "beside a generated identifier). Secrets Manager keeps the name of a secret scheduled for deletion "
        "for its recovery window (7-30 days): 'You can't create this secret because a secret with this name "
        "is already scheduled for deletion' (https://docs.aws.amazon.com/secretsmanager/latest/userguide/"
        "manage_delete-restore-secret.html), so those names count as taken. One read-only listing per kind "
        "answers every name of that kind (ListSecrets with IncludePlannedDeletion, DescribeParameters by "
        "name, ListDashboards, DescribeAlarms by name, ListTables, ListFunctions, DescribeRepositories ...). "
        "An explicit name of a named type cdkcheck has no lookup for is reported as not checked (info)."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html",
    fix=(
        "Delete or import the leftover resource (cdk import), rename it in the stack, or let CloudFormation "
        "generate the name; use RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (RetainExceptOnCreate) so failed "
        "creates do not leave leftovers."
    ),
    example="rds.DatabaseInstance(instance_identifier='courtcase-db') after a rolled-back first deploy left "
            "its snapshot-protected instance behind.",
    needs_live=True,
    details=lambda: _coverage(),
)


def _coverage() -> str:
    from cdkcheck.template.named_resources import named_types, unchecked_types

    named = named_types()
    unchecked = unchecked_types()
    return (f"{len(named)} named resource types in the registry schemas; {len(named) - len(unchecked)} checked "
            f"(one read-only listing per kind): {', '.join(t for t in named if t not in unchecked)}. "
            f"Not checked (an explicit name is reported as an info finding): {', '.join(unchecked)}.")


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    named: dict[str, list[tuple[Stack, Resource, str, str]]] = defaultdict(list)
    unchecked: list[tuple[Stack, Resource, str, str]] = []
    for stack in ctx.stacks:
        env = env_for_stack(stack, region=ctx.environment.region, account=ctx.environment.account,
                            stacks=ctx.stacks)
        for resource in stack.template.resources.values():
            prop = name_property(resource.type)
            if prop is None or not isinstance(resource.properties, dict) or prop not in resource.properties:
                continue  # not a named type, or CloudFormation generates a unique name
            if resource_exists(resource, stack.template, env) is False:
                continue
            name = literal(ctx, stack, resource, prop)
            kind = NAME_LOOKUPS.get(resource.type)
            if isinstance(name, str):
                (named[kind] if kind else unchecked).append((stack, resource, prop, name))
            elif kind and not _derived_from_deployed_resource(resource, prop, stack, env):
                yield Undetermined(stack, resource.logical_id, f"{prop} is not known before deploy")
    if not named and not unchecked:
        return
    require_account(ctx)
    for stack, resource, prop, name in unchecked:
        if resource.logical_id in deployed_logical_ids(ctx, stack):
            continue  # deployed already: an update, not a create
        yield Violation(
            stack=stack, logical_id=resource.logical_id,
            message=f"{resource.type} {prop} '{name}' was not checked for an existing resource of that name: "
                    f"cdkcheck has no read-only lookup for {resource.type}",
            evidence={"type": resource.type, "name": name, "checked": False,
                      "source": "registry schema (named type without a lookup)"},
            property_path=f"Properties.{prop}", severity=Severity.INFO,
            fix="Check the name by hand, or let CloudFormation generate it.")
    new = {kind: [(s, r, p, n) for s, r, p, n in entries
                  if r.logical_id not in deployed_logical_ids(ctx, s)] for kind, entries in named.items()}
    new = {kind: entries for kind, entries in new.items() if entries}
    ctx.facts.prefetch(tuple(
        ("secrets", names) if kind == "secretsmanager-secret" else ("existing_names", kind, names)
        for kind, names in ((k, tuple(sorted({n for *_, n in e}))) for k, e in sorted(new.items()))))
    for kind, entries in sorted(new.items()):
        if kind == "secretsmanager-secret":
            yield from _secret_collisions(ctx, entries)
            continue
        try:
            taken = ctx.facts.existing_names(kind, tuple(sorted({n for *_, n in entries})))
        except FactUnavailable as unavailable:
            for stack, resource, _, _ in entries:
                yield Undetermined(stack, resource.logical_id, unavailable.reason)
            continue
        for stack, resource, prop, name in entries:
            if name not in taken:
                continue
            policy = resource.deletion_policy
            where = "in some AWS account (bucket names are global)" if kind == "s3-bucket" else "in the account"
            yield Violation(
                stack=stack, logical_id=resource.logical_id,
                message=f"{resource.type} {prop} '{name}' already exists {where}; the create will fail"
                        + (f" (DeletionPolicy {policy} keeps such leftovers after a rollback)" if policy else ""),
                evidence={"kind": kind, "name": name, "deletion_policy": policy,
                          "source": f"existing_names({kind})"},
                property_path=f"Properties.{prop}",
                severity=Severity.ERROR,
            )


def _secret_collisions(ctx: RuleContext, entries) -> Iterator[Outcome]:
    """Secret names, telling a live secret from one scheduled for deletion (whose name is still taken)."""
    try:
        secrets = ctx.facts.secrets(tuple(sorted({n for *_, n in entries})))
    except FactUnavailable as unavailable:
        for stack, resource, _, _ in entries:
            yield Undetermined(stack, resource.logical_id, unavailable.reason)
        return
    for stack, resource, prop, name in entries:
        secret = secrets.get(name)
        if secret is None:
            continue
        evidence = {"kind": "secretsmanager-secret", "name": name, "arn": secret.arn,
                    "deleted_date": secret.deleted_date,
                    "source": "secretsmanager.list_secrets (IncludePlannedDeletion)"}
        if secret.scheduled_for_deletion:
            yield Violation(
                stack=stack, logical_id=resource.logical_id,
                message=f"{resource.type} {prop} '{name}' belongs to a secret scheduled for deletion (since "
                        f"{secret.deleted_date}); restore it or wait/force-delete: the create fails until then",
                evidence=evidence, property_path=f"Properties.{prop}", severity=Severity.ERROR,
                fix=f"aws secretsmanager restore-secret --secret-id '{name}' and import it, or "
                    f"aws secretsmanager delete-secret --secret-id '{name}' --force-delete-without-recovery, "
                    "or wait for the recovery window to end.")
        else:
            yield Violation(
                stack=stack, logical_id=resource.logical_id,
                message=f"{resource.type} {prop} '{name}' already exists in the account; the create will fail",
                evidence=evidence, property_path=f"Properties.{prop}", severity=Severity.ERROR)


def _derived_from_deployed_resource(resource: Resource, prop: str, stack: Stack, env) -> bool:
    """A name built from another resource of the deploy (a Ref / GetAtt in it) is that resource's own
    generated or checked name, or an attachment to it (a bucket policy's Bucket): not a new name to check."""
    value = resource.properties.get(prop)
    refs: list = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if set(node) == {"Ref"} and isinstance(node["Ref"], str) and node["Ref"] in stack.template.resources:
                refs.append(node["Ref"])
            elif set(node) == {"Fn::GetAtt"}:
                refs.append(node["Fn::GetAtt"])
            elif set(node) == {"Fn::Sub"}:
                text = node["Fn::Sub"][0] if isinstance(node["Fn::Sub"], list) else node["Fn::Sub"]
                if isinstance(text, str) and any("${" + lid in text for lid in stack.template.resources):
                    refs.append(text)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return bool(refs) or isinstance(resolve_property(resource, prop, stack.template, env), ResourceRef)


RULE = Rule(meta=META, evaluate=evaluate)
