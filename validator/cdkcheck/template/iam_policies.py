"""IAM policy statements as a template declares them, and what they allow.

A deliberately small evaluator for the questions the permission rules ask of one
template: does this role (its inline policies, the AWS::IAM::Policy / ManagedPolicy
resources attached to it, the AWS managed policies it names) allow this action on
this resource? The answer is ALLOWED, DENIED (explicitly, or by nothing granting it)
or UNKNOWN with the reason: a condition, a resource known only at deploy time, an
AWS managed policy whose document cdkcheck does not carry, a permissions boundary.

AWS managed policy documents come from data/aws_managed_policies.json: the few
policies CDK attaches for these services, as AWS publishes them (the test suite
compares them with the copy the moto library carries).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from cdkcheck.template.intrinsics import ResolutionEnv, ResourceRef, Unknown, resolve
from cdkcheck.model import Resource, Template

_DATA = Path(__file__).resolve().parents[1] / "data" / "aws_managed_policies.json"
_AWS_MANAGED_PREFIX = ":iam::aws:policy/"

# The policy each resource type carries whose principals the service checks when it stores it ("invalid principal").
PRINCIPAL_POLICIES = {
    "AWS::IAM::Role": "AssumeRolePolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::ECR::Repository": "RepositoryPolicyText",
}


class Access(str, Enum):
    ALLOWED = "allowed"
    DENIED = "denied"  # nothing grants it, or a Deny statement matches
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PolicyStatement:
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[Any, ...] = ("*",)  # literal strings, ResourceRef, or Unknown
    not_resources: tuple[Any, ...] | None = None
    conditional: bool = False
    source: str = ""  # where it is written: "inline policy X of role Y", "AWS::IAM::Policy Z", "AWS managed P"


@dataclass(frozen=True)
class Decision:
    access: Access
    source: str = ""  # the statement or policy that decided
    reason: str = ""  # why UNKNOWN


@dataclass(frozen=True)
class RolePolicies:
    role_logical_id: str
    statements: tuple[PolicyStatement, ...]
    unknown: tuple[str, ...] = ()  # policies cdkcheck cannot read (each a reason)
    boundary: str | None = None  # a permissions boundary it cannot evaluate


# ------------------------------------------------------------ statements


def statements_of(document: Any, template: Template, env: ResolutionEnv, source: str) -> Iterator[PolicyStatement]:
    """The statements of a policy document (a dict, or JSON text as some templates hold it)."""
    document = resolve(document, template, env)
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return
    if not isinstance(document, Mapping):
        return
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    for index, raw in enumerate(statements if isinstance(statements, list) else []):
        if not isinstance(raw, Mapping):
            continue
        sid = raw.get("Sid")
        where = f"{source}, statement {sid if isinstance(sid, str) and sid else index}"
        yield PolicyStatement(
            effect=str(raw.get("Effect", "Allow")),
            actions=_strings(raw.get("Action")),
            not_actions=_strings(raw.get("NotAction")) if "NotAction" in raw else None,
            resources=_values(raw.get("Resource", "*"), template, env) if "Resource" in raw or "NotResource" not in raw
            else (),
            not_resources=_values(raw.get("NotResource"), template, env) if "NotResource" in raw else None,
            conditional=bool(raw.get("Condition")),
            source=where,
        )


def principals_of(document: Any, template: Template, env: ResolutionEnv) -> Iterator[tuple[str, Any, Mapping]]:
    """(kind, value, statement) of every principal the document's statements name; kind "AWS", "Service", ..."""
    document = resolve(document, template, env)
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return
    if not isinstance(document, Mapping):
        return
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    for raw in statements if isinstance(statements, list) else []:
        if not isinstance(raw, Mapping):
            continue
        principal = raw.get("Principal")
        if principal == "*" or not isinstance(principal, Mapping):
            continue
        for kind, values in principal.items():
            for value in values if isinstance(values, list) else [values]:
                yield str(kind), value, raw


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _values(value: Any, template: Template, env: ResolutionEnv) -> tuple[Any, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        resolved = resolve(item, template, env) if not isinstance(item, (ResourceRef, Unknown)) else item
        out.append(reference_in(item, template) or resolved)
    return tuple(out)


def reference_in(raw: Any, template: Template) -> ResourceRef | None:
    """A Resource written as Ref/GetAtt to a template resource, or an ARN join around one ("<ref>/*")."""
    if isinstance(raw, Mapping) and len(raw) == 1:
        key, arg = next(iter(raw.items()))
        if key == "Ref" and isinstance(arg, str) and arg in template.resources:
            return ResourceRef(arg, None, template)
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list) and parts and isinstance(parts[0], str) and parts[0] in template.resources:
                return ResourceRef(parts[0], parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None,
                                   template)
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            refs = [r for r in (reference_in(p, template) for p in arg[1]) if r is not None]
            if len(refs) == 1 and all(isinstance(p, str) or reference_in(p, template) is not None
                                      or (isinstance(p, Mapping) and str(p.get("Ref", "")).startswith("AWS::"))
                                      for p in arg[1]):
                return refs[0]
    return None


# ------------------------------------------------------------ roles


def role_policies(role: Resource, template: Template, env: ResolutionEnv) -> RolePolicies:
    """Every statement the template attaches to `role` (an AWS::IAM::Role of the same template)."""
    statements: list[PolicyStatement] = []
    unknown: list[str] = []
    props = role.properties if isinstance(role.properties, Mapping) else {}
    for policy in _list(props.get("Policies")):
        if isinstance(policy, Mapping):
            name = policy.get("PolicyName")
            statements.extend(statements_of(policy.get("PolicyDocument"), template, env,
                                            f"inline policy {name} of {role.logical_id}"))
    for arn in _list(props.get("ManagedPolicyArns")):
        statements.extend(_managed(arn, template, env, unknown))
    for resource in template.resources.values():
        rprops = resource.properties if isinstance(resource.properties, Mapping) else {}
        if resource.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and \
                _names_role(rprops.get("Roles"), role, template, env):
            statements.extend(statements_of(rprops.get("PolicyDocument"), template, env,
                                            f"{resource.type} {resource.logical_id}"))
        elif resource.type == "AWS::IAM::RolePolicy" and _names_role([rprops.get("RoleName")], role, template, env):
            statements.extend(statements_of(rprops.get("PolicyDocument"), template, env,
                                            f"{resource.type} {resource.logical_id}"))
    boundary = props.get("PermissionsBoundary")
    boundary_text = None
    if boundary:
        resolved = resolve(boundary, template, env)
        boundary_text = resolved if isinstance(resolved, str) else "a permissions boundary known only at deploy time"
    return RolePolicies(role.logical_id, tuple(statements), tuple(unknown), boundary_text)


def _names_role(values: Any, role: Resource, template: Template, env: ResolutionEnv) -> bool:
    name = resolve(role.properties.get("RoleName"), template, env) if isinstance(role.properties, Mapping) else None
    for value in values if isinstance(values, list) else []:
        if isinstance(value, Mapping) and value.get("Ref") == role.logical_id:
            return True
        if isinstance(name, str) and resolve(value, template, env) == name:
            return True
    return False


def _managed(arn: Any, template: Template, env: ResolutionEnv, unknown: list[str]) -> Iterator[PolicyStatement]:
    ref = reference_in(arn, template)
    if ref is not None and ref.resource is not None and ref.resource.type == "AWS::IAM::ManagedPolicy":
        return  # read as a resource attached to the role (its Roles) or below
    resolved = resolve(arn, template, env)
    if isinstance(resolved, str) and _AWS_MANAGED_PREFIX in resolved:
        name = resolved.split(_AWS_MANAGED_PREFIX, 1)[1]
        document = aws_managed_policy(name)
        if document is None:
            unknown.append(f"AWS managed policy {name} (its document is not among those cdkcheck carries)")
            return
        yield from statements_of(document, template, env, f"AWS managed policy {name}")
        return
    unknown.append(f"managed policy {resolved if isinstance(resolved, str) else 'known only at deploy time'}")


def managed_policies_by_ref(role: Resource, template: Template) -> list[Resource]:
    """Customer managed policies of the template that the role lists in ManagedPolicyArns."""
    props = role.properties if isinstance(role.properties, Mapping) else {}
    found = []
    for arn in _list(props.get("ManagedPolicyArns")):
        ref = reference_in(arn, template)
        if ref is not None and ref.resource is not None and ref.resource.type == "AWS::IAM::ManagedPolicy":
            found.append(ref.resource)
    return found


@lru_cache(maxsize=1)
def _aws_managed() -> Mapping[str, Any]:
    return json.loads(_DATA.read_text(encoding="utf-8"))["policies"]


def aws_managed_policy(name: str) -> Mapping[str, Any] | None:
    """The document of an AWS managed policy by its path and name ("service-role/AWSLambdaVPCAccessExecutionRole")."""
    entry = _aws_managed().get(name)
    return entry["document"] if entry else None


def aws_managed_policy_source(name: str) -> str | None:
    entry = _aws_managed().get(name)
    return entry["source"] if entry else None


# ------------------------------------------------------------ evaluation


def action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def decide(policies: RolePolicies, action: str, resource: Any, template: Template) -> Decision:
    """May the role perform `action` on `resource` (an ARN, a ResourceRef to a template resource, or "*")?"""
    allow: PolicyStatement | None = None
    unsure: list[str] = []
    for statement in policies.statements:
        if not _covers_action(statement, action):
            continue
        match = _covers_resource(statement, resource, template)
        if statement.effect == "Deny":
            if match is True and not statement.conditional:
                return Decision(Access.DENIED, statement.source)
            if match is not False:
                unsure.append(f"a Deny in {statement.source} may apply")
            continue
        if match is True and not statement.conditional:
            allow = allow or statement
        elif match is not False:
            unsure.append(f"{statement.source} allows it only " +
                          ("under a condition" if statement.conditional else "on a resource known at deploy time"))
    if policies.boundary and allow is not None:
        unsure.append(f"the role's permissions boundary ({policies.boundary}) is not evaluated")
    if allow is not None and not unsure:
        return Decision(Access.ALLOWED, allow.source)
    if unsure or policies.unknown:
        return Decision(Access.UNKNOWN, reason="; ".join(unsure + [f"{u} may grant it" for u in policies.unknown]))
    return Decision(Access.DENIED, "no statement attached to the role grants it")


def _covers_action(statement: PolicyStatement, action: str) -> bool:
    if statement.not_actions is not None:
        return not any(action_matches(p, action) for p in statement.not_actions)
    return any(action_matches(p, action) for p in statement.actions)


def _covers_resource(statement: PolicyStatement, resource: Any, template: Template) -> bool | None:
    if statement.not_resources is not None:
        inner = [_resource_matches(v, resource) for v in statement.not_resources]
        if any(m is True for m in inner):
            return False
        return None if any(m is None for m in inner) else True
    results = [_resource_matches(v, resource) for v in statement.resources]
    if any(m is True for m in results):
        return True
    return None if any(m is None for m in results) else False


def _resource_matches(pattern: Any, resource: Any) -> bool | None:
    if pattern == "*":
        return True
    if isinstance(pattern, ResourceRef):
        if isinstance(resource, ResourceRef):
            return pattern.logical_id == resource.logical_id
        return None
    if isinstance(pattern, str):
        if isinstance(resource, str):
            return fnmatch.fnmatchcase(resource, pattern)
        return None  # a literal ARN against a resource whose ARN is known at deploy time only
    return None  # Unknown


def grants(policies: RolePolicies, actions: Iterable[str], resource: Any, template: Template) -> dict[str, Decision]:
    return {a: decide(policies, a, resource, template) for a in actions}
