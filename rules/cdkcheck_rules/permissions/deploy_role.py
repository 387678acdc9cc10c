"""CDKC-P1: the principal CloudFormation deploys as may not do what the stacks' resources need.

Which principal: the bootstrap's CloudFormation execution role named in the cloud assembly
(cdk-hnb659fds-cfn-exec-role-ACCOUNT-REGION by default), else the deploying principal itself
(CliCredentialsStackSynthesizer, legacy synthesis). The deploying principal must assume the
deploy role (sts:AssumeRole) and the principal submitting the stack must pass the execution role
(iam:PassRole). What each resource needs is its registry schema's handler permissions: create for
new resources, update for changed ones, delete for removed ones. AWS's own evaluator decides
(iam:SimulatePrincipalPolicy), one call per principal and at most 100 actions each.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from cdkcheck.facts.interface import FactUnavailable, PermissionDecision
from cdkcheck.template.intrinsics import resource_exists
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.handler_permissions import (NO_SERVICE_CALL, HandlerPermissions, known_to_cfn_lint,
                                                   passes_role, schema_json_permissions, schema_permissions)
from cdkcheck_rules.live.common import require_account
from cdkcheck_rules.permissions.common import parse_arn, root_of, stack_env, with_placeholders

SIMULATOR_DOCS = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html"

META = RuleMeta(
    id="CDKC-P1",
    name="deploy-role-permissions",
    summary="The role CloudFormation deploys with (the CDK bootstrap's execution role, or the deploying principal) "
            "may not perform what a resource's create, update or delete needs, or the deploying principal cannot "
            "assume the deploy role or pass the execution role.",
    severity=Severity.ERROR,
    resource_types=("AWS::CloudFormation::Stack",),
    rationale=(
        "CloudFormation calls every service as the stack's service role: with the CDK bootstrap that is the "
        "execution role cdk bootstrap created (AdministratorAccess unless --cloudformation-execution-policies "
        "narrowed it), else the credentials of whoever deploys. A role hardened by narrower execution policies, a "
        "permissions boundary or an organization SCP makes the deploy fail on the first resource it may not "
        "create ('is not authorized to perform: rds:CreateDBInstance'), often after the slow resources before "
        "it, then roll back. The actions each resource type needs are the handler permissions of its "
        "CloudFormation registry schema (cfn-lint's copy; cloudformation:DescribeType for types cfn-lint does not "
        "know). The schema lists everything any property combination may need, so only the primary action (the "
        "one carrying the type's name: rds:CreateDBInstance, ecs:RegisterTaskDefinition), iam:PassRole for a "
        "resource that hands the service a role, or a handler of which nothing is allowed block; other denied "
        "handler actions are warnings. IAM's policy simulator decides (identity policies, permissions boundary, "
        "SCPs of the organization), with aws:RequestedRegion set and every action simulated on resource '*'. "
        "What it cannot decide is UNKNOWN, never a pass: conditions on context keys only known at deploy time, "
        "a role in another account, a deploying principal it cannot evaluate (the root user, a federated user). "
        "Not simulated: session policies, resource control policies; and a policy that grants an action only on "
        "named resource ARNs is simulated on '*' and reported as denied."
    ),
    docs_url="https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html",
    fix="Grant the execution role the action (cdk bootstrap --cloudformation-execution-policies with a policy "
        "that includes it), lift the boundary or SCP statement that denies it, or let the deploying principal "
        "assume the deploy role / pass the execution role.",
    example="cdk bootstrap --cloudformation-execution-policies arn:aws:iam::aws:policy/AmazonS3FullAccess, then a "
            "stack with an rds.DatabaseInstance: 'is not authorized to perform: rds:CreateDBInstance'.",
    needs_live=True,
    facts=(
        SourcedFact("CloudFormation uses the stack's service role for every call it makes, else the caller's "
                    "credentials", "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                                  "using-iam-servicerole.html"),
        SourcedFact("A resource type's handlers list the permissions CloudFormation needs to run them",
                    "https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html"),
        SourcedFact("The CDK CLI assumes the bootstrap deploy role and passes the execution role to CloudFormation",
                    "https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html"),
    ),
)


@dataclass
class _Need:
    stack: Stack
    resource: Resource
    handler: str
    permissions: HandlerPermissions
    needs_pass_role: bool


@dataclass
class _Group:
    deploy_role: str | None
    exec_role: str | None
    stacks: list[Stack] = field(default_factory=list)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    if not any(s.template.resources for s in ctx.stacks):
        return
    who = require_account(ctx)
    account, region = who.account, ctx.environment.region
    groups: dict[tuple, _Group] = {}
    for stack in ctx.stacks:
        root = root_of(stack, ctx.stacks)
        deploy = with_placeholders(root.deploy_role_arn, root.account or account, root.region or region)
        execution = with_placeholders(root.cfn_execution_role_arn, root.account or account, root.region or region)
        groups.setdefault((deploy, execution), _Group(deploy, execution)).stacks.append(stack)

    roles = _roles(ctx)
    deployer, deployer_reason = _deployer(who.arn, roles)
    for group in groups.values():
        yield from _group(ctx, group, account, region, roles, deployer, deployer_reason)


def _group(ctx: RuleContext, group: _Group, account: str, region: str | None, roles, deployer: str | None,
           deployer_reason: str | None) -> Iterator[Outcome]:
    first = next((s for s in group.stacks if not s.is_nested), group.stacks[0])
    for arn in (group.deploy_role, group.exec_role):
        parsed = parse_arn(arn)
        if parsed is not None and parsed.account and parsed.account != account:
            yield Undetermined(first, None, f"role {arn} is in account {parsed.account}: cdkcheck simulates only "
                                            f"principals of the environment's account {account}")
            return
    if isinstance(roles, FactUnavailable):
        yield Undetermined(first, None, roles.reason)
        return
    exec_arn = parse_arn(group.exec_role)
    if exec_arn is not None and exec_arn.name not in roles:
        yield Violation(stack=first, logical_id=None,
                        message=f"the CDK CloudFormation execution role {group.exec_role} does not exist in account "
                                f"{account}: CloudFormation cannot assume it and refuses the deploy",
                        evidence={"role": group.exec_role, "source": "iam.list_roles"},
                        fix="Run cdk bootstrap for this account and region (with the same qualifier).")
        return
    deploy_arn = parse_arn(group.deploy_role)
    deploy_exists = deploy_arn is None or deploy_arn.name in roles
    if not deploy_exists:
        yield Violation(stack=first, logical_id=None, severity=Severity.WARNING,
                        message=f"the CDK deploy role {group.deploy_role} does not exist in account {account}: the "
                                "CDK CLI deploys with the credentials themselves",
                        evidence={"role": group.deploy_role, "source": "iam.list_roles"},
                        fix="Run cdk bootstrap for this account and region (with the same qualifier).")

    # Who submits the stack: the deploy role when the deploying principal may assume it.
    submitter = deployer
    if group.deploy_role and deploy_exists:
        if deployer is None:
            yield Undetermined(first, None, f"whether the deploying principal may assume {group.deploy_role}: "
                                            f"{deployer_reason}", required=False)
            submitter = group.deploy_role
        else:
            decision = yield from _ask(ctx, first, None, deployer, ("sts:AssumeRole",), (group.deploy_role,), ())
            if decision is not None:
                found = decision.get("sts:AssumeRole")
                if found is not None and found.allowed:
                    submitter = group.deploy_role
                elif found is not None and not found.missing_context:
                    yield Violation(
                        stack=first, logical_id=None,
                        message=f"{deployer} may not assume the deploy role {group.deploy_role} "
                                f"(sts:AssumeRole: {_decided_by(found)}); the CDK CLI then deploys with the "
                                "credentials themselves, which need every permission of the deploy",
                        evidence=_evidence(deployer, found), severity=Severity.WARNING,
                        fix="Allow sts:AssumeRole on the cdk-*-deploy-role (the bootstrap trusts the account).")
                elif found is not None:
                    yield _unknown(first, None, deployer, found)
                    submitter = group.deploy_role
    if group.exec_role and submitter is not None:
        passed = yield from _ask(ctx, first, None, submitter, ("iam:PassRole",), (group.exec_role,),
                                 (("iam:PassedToService", "cloudformation.amazonaws.com"),))
        found = (passed or {}).get("iam:PassRole")
        if found is not None and found.missing_context:
            yield _unknown(first, None, submitter, found)
        elif found is not None and not found.allowed:
            yield Violation(
                stack=first, logical_id=None,
                message=f"{submitter} may not pass the CloudFormation execution role {group.exec_role} "
                        f"(iam:PassRole: {_decided_by(found)}): CloudFormation refuses the deploy",
                evidence=_evidence(submitter, found),
                fix=f"Allow iam:PassRole on {group.exec_role} for the principal that deploys.")
    acting = group.exec_role or submitter
    if acting is None:
        yield Undetermined(first, None, f"the principal CloudFormation acts as is unknown: {deployer_reason}",
                           required=False)
        return

    needs, outcomes = _needs(ctx, group.stacks)
    yield from outcomes
    if not needs:
        return
    actions = sorted({a for n in needs for a in n.permissions.actions} |
                     ({"iam:PassRole"} if any(n.needs_pass_role for n in needs) else set()))
    decisions = yield from _ask(ctx, first, None, acting, tuple(actions), ("*",),
                                (("aws:RequestedRegion", region),) if region else ())
    if decisions is None:
        return
    warned: dict[tuple[str, str, str], list[_Need]] = defaultdict(list)
    for need in needs:
        yield from _judge(need, acting, decisions, warned)
    for (stack_name, type_name, handler), group_needs in sorted(warned.items()):
        need = group_needs[0]
        denied = sorted({a for n in group_needs for a in n.permissions.actions
                         if a in decisions and not decisions[a].allowed and not decisions[a].missing_context})
        yield Violation(
            stack=need.stack, logical_id=need.resource.logical_id, severity=Severity.WARNING,
            message=f"{acting} may not perform {len(denied)} of the {handler} handler's permissions of {type_name} "
                    f"({', '.join(denied[:6])}{', ...' if len(denied) > 6 else ''}); they are needed depending on "
                    "the properties",
            evidence={"principal": acting, "type": type_name, "handler": handler, "denied": denied,
                      "constructs": [n.resource.construct_path or n.resource.logical_id for n in group_needs],
                      "actions_from": need.permissions.source, "source": "iam.simulate_principal_policy"})


def _judge(need: _Need, acting: str, decisions: Mapping[str, PermissionDecision],
           warned: dict) -> Iterator[Outcome]:
    actions = need.permissions.actions
    blocking = list(need.permissions.primary) + (["iam:PassRole"] if need.needs_pass_role else [])
    answered = [decisions[a] for a in actions if a in decisions]
    if answered and all(not d.allowed and not d.missing_context for d in answered):
        blocking = list(actions)  # nothing of the handler is allowed
    for action in dict.fromkeys(blocking):
        found = decisions.get(action)
        if found is None or found.allowed:
            continue
        if found.missing_context:
            yield _unknown(need.stack, need.resource.logical_id, acting, found)
            return
        yield Violation(
            stack=need.stack, logical_id=need.resource.logical_id,
            message=f"{acting} may not perform {action} ({_decided_by(found)}), which CloudFormation needs to "
                    f"{need.handler} this {need.resource.type}: the deploy fails here",
            evidence={**_evidence(acting, found), "type": need.resource.type, "handler": need.handler,
                      "actions_from": need.permissions.source},
            fix=f"Allow {action} for {acting} (cdk bootstrap --cloudformation-execution-policies), or remove the "
                "statement that denies it.")
        return
    if any(a in decisions and not decisions[a].allowed and not decisions[a].missing_context for a in actions):
        warned[(need.stack.display_name, need.resource.type, need.handler)].append(need)


def _needs(ctx: RuleContext, stacks: list[Stack]) -> tuple[list[_Need], list[Outcome]]:
    needs: list[_Need] = []
    outcomes: list[Outcome] = []
    unknown_types: set[str] = set()
    for stack in stacks:
        deployed = _deployed_resources(ctx, stack, outcomes)
        env = stack_env(ctx, stack)
        for resource in stack.template.resources.values():
            if resource.type in NO_SERVICE_CALL or resource_exists(resource, stack.template, env) is False:
                continue
            if resource.type.startswith("Custom::") or resource.type == "AWS::CloudFormation::CustomResource":
                continue  # the provider function acts with its own role
            before = deployed.get(resource.logical_id) if deployed is not None else None
            if before is None:
                handler = "create"
            elif _same(before, resource):
                continue
            else:
                handler = "update"
            permissions = _permissions(ctx, resource.type, handler)
            if isinstance(permissions, str):
                if resource.type not in unknown_types:
                    unknown_types.add(resource.type)
                    outcomes.append(Undetermined(stack, resource.logical_id, permissions, required=False))
                continue
            if permissions is None:
                continue
            needs.append(_Need(stack, resource, handler, permissions,
                               handler == "create" and passes_role(resource.properties)))
        for logical_id, before in (deployed or {}).items():
            if logical_id in stack.template.resources or not isinstance(before, Mapping):
                continue
            type_name = str(before.get("Type", ""))
            permissions = _permissions(ctx, type_name, "delete")
            if isinstance(permissions, HandlerPermissions):
                removed = Resource(logical_id=logical_id, type=type_name, properties=before.get("Properties") or {})
                needs.append(_Need(stack, removed, "delete", permissions, False))
    return needs, outcomes


def _permissions(ctx: RuleContext, type_name: str, handler: str) -> HandlerPermissions | None | str:
    """The handler's permissions; None when the type needs none; a reason (str) when they are unknown."""
    if type_name in NO_SERVICE_CALL or type_name.startswith("Custom::"):
        return None
    if known_to_cfn_lint(type_name):
        return schema_permissions(type_name, handler)
    try:
        schema = ctx.facts.registry_type_schema(type_name)
    except FactUnavailable as unavailable:
        return f"the handler permissions of {type_name} are unknown: {unavailable.reason}"
    if schema is None:
        return f"{type_name} is not a registered type in this account and region (cloudformation:DescribeType)"
    found = schema_json_permissions(type_name, handler, schema)
    return found if found is not None else f"the registry schema of {type_name} lists no {handler} permissions"


def _deployed_resources(ctx: RuleContext, stack: Stack, outcomes: list) -> dict[str, Any] | None:
    """The deployed template's resources by logical id; None when the stack is new."""
    if stack.is_nested:
        return None  # nested stacks are judged as new: their deployed ids live under the parent
    try:
        deployed = ctx.facts.deployed_template(stack.stack_name)
    except FactUnavailable as unavailable:
        outcomes.append(Undetermined(stack, None, f"the deployed template is unknown ({unavailable.reason}): every "
                                                  "resource is judged as new", required=False))
        return None
    if deployed is None:
        return None
    try:
        body = json.loads(deployed.template_json)
    except ValueError:
        return None
    resources = body.get("Resources") if isinstance(body, dict) else None
    return dict(resources) if isinstance(resources, dict) else None


def _same(before: Any, resource: Resource) -> bool:
    if not isinstance(before, Mapping):
        return False
    return before.get("Type") == resource.type and \
        json.dumps(before.get("Properties") or {}, sort_keys=True, default=str) == \
        json.dumps(dict(resource.properties or {}), sort_keys=True, default=str)


def _ask(ctx: RuleContext, stack: Stack, logical_id: str | None, principal: str, actions: tuple[str, ...],
         resources: tuple[str, ...], context: tuple[tuple[str, str], ...]):
    """The simulator's decisions by action (generator: yields an Undetermined when it cannot answer)."""
    try:
        found = ctx.facts.simulate_principal_policy(principal, actions, resources, context)
    except FactUnavailable as unavailable:
        yield Undetermined(stack, logical_id, f"iam:SimulatePrincipalPolicy for {principal}: {unavailable.reason}")
        return None
    decisions: dict[str, PermissionDecision] = {}
    for decision in found:
        current = decisions.get(decision.action)
        if current is None or (current.allowed and not decision.allowed):
            decisions[decision.action] = decision  # over several resources, the strictest answer
    return decisions


def _roles(ctx: RuleContext):
    try:
        return ctx.facts.iam_principals("role")
    except FactUnavailable as unavailable:
        return unavailable


def _deployer(caller_arn: str, roles) -> tuple[str | None, str | None]:
    """The IAM principal the credentials belong to, as the simulator names it."""
    arn = parse_arn(caller_arn)
    if arn is None:
        return None, f"the caller {caller_arn} is not an ARN"
    if arn.kind == "user":
        return caller_arn, None
    if arn.kind == "assumed-role":
        if isinstance(roles, FactUnavailable):
            return None, roles.reason
        found = roles.get(arn.name)
        if found is None:
            return None, f"role {arn.name} of the session {caller_arn} is not listed in the account"
        return found, None
    if arn.kind == "root":
        return None, "the credentials are the account root user, which the simulator does not evaluate"
    return None, f"the simulator cannot evaluate a {arn.kind} principal ({caller_arn})"


def _decided_by(found: PermissionDecision) -> str:
    if found.allowed_by_organizations is False:
        return "denied by an organization service control policy"
    if found.allowed_by_boundary is False:
        return "denied by the permissions boundary"
    if found.decision == "explicitDeny":
        return f"explicitly denied by {', '.join(found.matched) or 'a Deny statement'}"
    return "no policy allows it"


def _evidence(principal: str, found: PermissionDecision) -> dict[str, Any]:
    return {"principal": principal, "action": found.action, "resource": found.resource, "decision": found.decision,
            "matched_policies": list(found.matched), "allowed_by_boundary": found.allowed_by_boundary,
            "allowed_by_organizations": found.allowed_by_organizations,
            "source": "iam.simulate_principal_policy", "docs": SIMULATOR_DOCS}


def _unknown(stack: Stack, logical_id: str | None, principal: str, found: PermissionDecision) -> Undetermined:
    return Undetermined(stack, logical_id,
                        f"whether {principal} may perform {found.action} depends on context keys known only at "
                        f"deploy time ({', '.join(found.missing_context)}): the simulator could not decide")


RULE = Rule(meta=META, evaluate=evaluate)
