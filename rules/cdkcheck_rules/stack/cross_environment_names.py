"""CDKC-X1: two environments deploy the same stack name or the same explicit resource name into one namespace.

Staging and production in one account and region, both synthesized from the same
code with a hard-coded stack name or resource name: whichever deploys second
updates the other's stack, or fails on a name the other already holds. Offline:
it compares the templates of the environments, not the account.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator, Sequence

from cdkcheck.ruleset import CrossEnvironmentRule, CrossOutcome, CrossViolation, EnvironmentView
from cdkcheck.template.intrinsics import ResolutionEnv, Unknown, env_for_stack, resolve_property, resource_exists
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.template.named_resources import NAMED_BEYOND_IDENTIFIER, name_property
from cdkcheck.ruleset import RuleMeta

STACK_TYPE = "AWS::CloudFormation::Stack"
# Namespaces wider than one account and region. IAM is a global service whose names are unique per
# account and not distinguished by case; general purpose S3 bucket names are unique per partition.
ACCOUNT_WIDE_PREFIXES = ("AWS::IAM::",)
CASE_INSENSITIVE_PREFIXES = ("AWS::IAM::",)
PARTITION_WIDE_TYPES = ("AWS::S3::Bucket",)

META = RuleMeta(
    id="CDKC-X1",
    name="cross-environment-name-collision",
    summary="Two environments deploy the same stack name, or the same explicit resource name, into one account "
            "and region (S3 bucket names: anywhere).",
    severity=Severity.ERROR,
    resource_types=(STACK_TYPE, "every type whose name is its create-only identifier in the registry schemas",
                    *NAMED_BEYOND_IDENTIFIER),
    rationale=(
        "A CloudFormation stack name is unique per account and Region (CreateStack: 'The name must be unique in "
        "the Region in which you are creating the stack'), so two environments that resolve to one account and "
        "region with the same stack name are one stack: the second deploy replaces the first environment's "
        "resources. An explicit physical name is the resource's identity for every type whose registry schema "
        "(as cfn-lint ships it) has that name as its only primaryIdentifier and lists it in "
        "createOnlyProperties (TableName, DashboardName, AlarmName, SSM Parameter Name, FunctionName, "
        "LogGroupName, RepositoryName, ...), plus Secrets Manager Secret Name (identifier: the ARN; the name is "
        "create-only and unique per account and region): the second environment's create fails with "
        "'already exists'. IAM names are unique per account across regions and are not distinguished by case "
        "(IAM CreateRole); general purpose S3 bucket names are unique across all accounts and regions of a "
        "partition (S3 user guide, bucket namespaces), so a bucket name collides between any two environments. "
        "Every configured environment the run can compare is compared: the ones selected, the ones that share "
        "a synth with them, and the ones the config places in the same account and region as a selected "
        "environment (synthesized for that, from the cache when nothing changed); others are named in the "
        "check's outcome. Names known only at deploy time (tokens, parameters, imports) are not compared. Two "
        "differently named environments that resolve to the same stack in one account and region block even "
        "when their templates are identical: each deploy of one overwrites the other's stack (a staging and a "
        "production configured to the same account). An environment that deploys another's stacks on purpose "
        "says so with alias_of = \"<environment>\" in its cdkcheck.toml table; the two then pass while their "
        "templates are identical."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html",
    fix=(
        "Make the name differ per environment (put the environment in stack_name and in explicit resource "
        "names, from context or app_env), drop the explicit name so CloudFormation generates a unique one, or "
        "deploy the environments to different accounts or regions; when one environment is meant to deploy "
        "the other's stacks, set alias_of = \"<that environment>\" in its [environments.<name>] table."
    ),
    example="Stack(app, 'Ledger-Production', stack_name='Ledger') beside Stack(app, 'Ledger-Staging', "
            "stack_name='Ledger') in account 111111111111, or Secret(secret_name='ledger/db') in both; "
            "sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/gpbucketnamespaces.html, "
            "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, "
            "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
)


@dataclass(frozen=True)
class _Named:
    view: EnvironmentView
    stack: Stack
    resource: Resource | None  # None: the stack's own name
    type: str
    prop: str
    name: str
    namespace: tuple  # what the name must be unique in
    owner: tuple | None  # the deployed stack that holds it: (account, region, top-level stack name)


def named_by(type_name: str) -> str | None:
    """The property that names a resource of this type in its namespace, or None."""
    return name_property(type_name)


def partition_of(region: str | None) -> str | None:
    return ResolutionEnv(region=region).partition


def evaluate(views: Sequence[EnvironmentView]) -> Iterator[CrossViolation | CrossOutcome]:
    by_key: dict[tuple, list[_Named]] = defaultdict(list)
    for view in views:
        unplaced = 0
        for named in _names(view):
            if named is None:
                unplaced += 1
                continue
            by_key[(named.type, named.namespace, _comparable(named))].append(named)
        if unplaced:
            yield CrossOutcome(view.name, f"{unplaced} name(s) in {view.name} not compared: "
                                          "the stack's account or region is not known before deploy")
    for entries in by_key.values():
        for mine in entries:
            for theirs in entries:
                if theirs.view.name == mine.view.name or _same_deployment(mine, theirs):
                    continue
                yield _violation(mine, theirs)


def _names(view: EnvironmentView) -> Iterator[_Named | None]:
    """Every name of the environment's stacks that must be unique; None for one whose namespace is unknown."""
    by_name = {s.display_name: s for s in view.stacks}
    for stack in view.stacks:
        account = stack.account or view.account
        region = stack.region or view.region
        root = _root(stack, by_name)
        owner = (account, region, root.stack_name) if account and region and root is not None else None
        if not stack.is_nested:
            if account and region:
                yield _Named(view, stack, None, STACK_TYPE, "StackName", stack.stack_name,
                             ("region", account, region), owner)
            else:
                yield None
        env = None
        for resource in stack.template.resources.values():
            prop = named_by(resource.type)
            if prop is None or prop not in resource.properties:
                continue
            if env is None:
                env = env_for_stack(stack, region=region, account=account, stacks=view.stacks)
            if resource_exists(resource, stack.template, env) is not True:
                continue  # never created, or its condition is known only at deploy time
            name = resolve_property(resource, prop, stack.template, env)
            if isinstance(name, Unknown) or not isinstance(name, str) or not name:
                continue  # known only at deploy time: not compared, never guessed
            namespace = _namespace(resource.type, account, region)
            if namespace is None:
                yield None
                continue
            yield _Named(view, stack, resource, resource.type, prop, name, namespace, owner)


def _namespace(type_name: str, account: str | None, region: str | None) -> tuple | None:
    if type_name in PARTITION_WIDE_TYPES:
        partition = partition_of(region)
        return ("partition", partition) if partition else None
    if type_name.startswith(ACCOUNT_WIDE_PREFIXES):
        return ("account", account) if account else None
    return ("region", account, region) if account and region else None


def _comparable(named: _Named) -> str:
    return named.name.casefold() if named.type.startswith(CASE_INSENSITIVE_PREFIXES) else named.name


def _root(stack: Stack, by_name: dict[str, Stack]) -> Stack | None:
    """The top-level stack a nested stack deploys with (its stack name is the namespace that owns it)."""
    seen: Stack | None = stack
    for _ in range(len(by_name) + 1):  # bounded: a malformed parent chain must not loop
        if seen is None or not seen.is_nested:
            return seen
        seen = by_name.get(seen.parent or "")
    return None


def _same_deployment(mine: _Named, theirs: _Named) -> bool:
    """Both environments describe one deployed stack on purpose, or the name is a resource of one shared stack.

    The shared stack itself is the collision (reported on the stack name): its resources are not reported again.
    Only an environment declared an alias of the other (alias_of) may share a stack, and only with the identical
    template.
    """
    if mine.owner is None or mine.owner != theirs.owner:
        return False
    if mine.resource is None:
        return _aliases(mine.view, theirs.view) and mine.stack.template.sha256 == theirs.stack.template.sha256
    return True


def _aliases(a: EnvironmentView, b: EnvironmentView) -> bool:
    # Aliases of one environment deploy its stacks, so they are aliases of each other too.
    return (a.alias_of or a.name) == (b.alias_of or b.name)


def _violation(mine: _Named, theirs: _Named) -> CrossViolation:
    where = _where(mine)
    other_path = _path(theirs)
    other = f"'{theirs.view.name}'" + (" (configured, not checked in this run)" if theirs.view.companion else "")
    if mine.resource is None:
        same = mine.stack.template.sha256 == theirs.stack.template.sha256
        message = (f"stack name '{mine.name}' is also deployed by environment {other} "
                   f"({theirs.stack.display_name}) {where}: "
                   + ("both deploy the identical template to one stack, so each environment's deploy overwrites "
                      "the other's (set alias_of if one is meant to deploy the other's stacks)" if same and not
                      _aliases(mine.view, theirs.view) else
                      "one environment's deploy would replace the other's stack"))
    else:
        message = (f"{mine.type} {mine.prop} '{mine.name}' is also created by environment {other} "
                   f"at {other_path} {where}: the second create fails with 'already exists'")
    return CrossViolation(
        environment=mine.view.name,
        stack=mine.stack,
        logical_id=mine.resource.logical_id if mine.resource else None,
        construct_path=None if mine.resource else mine.stack.display_name,
        message=message,
        property_path=f"Properties.{mine.prop}" if mine.resource else None,
        evidence={
            "name": mine.name,
            "type": mine.type,
            "namespace": list(mine.namespace),
            "other_environment": theirs.view.name,
            "other_stack": theirs.stack.display_name,
            "other_construct_path": other_path,
            "other_is_in_run": not theirs.view.companion,
        },
    )


def _where(named: _Named) -> str:
    kind = named.namespace[0]
    if kind == "partition":
        return f"(bucket names are unique across all accounts of the {named.namespace[1]} partition)"
    if kind == "account":
        return f"in account {named.namespace[1]} (IAM names are account-wide)"
    return f"in account {named.namespace[1]}, {named.namespace[2]}"


def _path(named: _Named) -> str:
    if named.resource is None:
        return named.stack.display_name
    return named.resource.construct_path or f"{named.stack.display_name}/{named.resource.logical_id}"


RULE = CrossEnvironmentRule(meta=META, evaluate=evaluate)
