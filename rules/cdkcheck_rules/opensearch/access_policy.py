"""CDKC-O10: an IP-based access policy on an OpenSearch domain that has a VPC endpoint."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from cdkcheck.template.intrinsics import ResourceRef, Unknown
from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES
from cdkcheck_rules.toolkit import Resolution, StackView, undetermined, violation_or_undetermined

# CDK's Domain applies `accessPolicies` after the create through these AwsCustomResources, whose
# Create/Update property is the SDK call as a JSON string (an Fn::Join around the domain's Ref).
ACCESS_POLICY_RESOURCES = ("Custom::OpenSearchAccessPolicy", "Custom::ElasticsearchAccessPolicy")
SDK_CALL_PROPERTIES = ("Create", "Update")
IP_CONDITION_KEY = "aws:sourceip"

META = RuleMeta(
    id="CDKC-O10",
    name="opensearch-vpc-ip-access-policy",
    summary="An OpenSearch domain with VPCOptions gets an access policy with an IP condition (aws:SourceIp), "
            "directly or through CDK's Custom::OpenSearchAccessPolicy.",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES + ACCESS_POLICY_RESOURCES,
    rationale=(
        "A domain with a VPC endpoint is reached only through the VPC, and the service refuses IP-based "
        "policies on it: \"You can't attach an IP-based policy to a domain that has a VPC endpoint\". That "
        "fails the domain create when the policy is in AccessPolicies, or, with CDK's Domain, the "
        "Custom::OpenSearchAccessPolicy resource (an UpdateDomainConfig call made after the domain exists, "
        "so the stack rolls back after the domain's 15-30 minute create). Both places are read: the domain's "
        "AccessPolicies and the custom resource's Create/Update call, whose AccessPolicies is a JSON string "
        "inside an Fn::Join. A statement is IP-based when a condition tests aws:SourceIp under any operator "
        "(IpAddress, NotIpAddress ...). Neither CDK nor cfn-lint checks this. Principal-based policies on VPC "
        "domains are fine; restrict network access with security groups instead."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html",
    fix="Drop the aws:SourceIp condition (security groups control who reaches a VPC domain) and grant by "
        "principal, or give the domain a public endpoint if IP allow-listing is the intent.",
    example="Domain(vpc=vpc, access_policies=[PolicyStatement(principals=[AnyPrincipal()], "
            "conditions={\"IpAddress\": {\"aws:SourceIp\": [\"10.0.0.0/8\"]}}, ...)]).",
    facts=(
        SourcedFact("You can't attach an IP-based policy to a domain that has a VPC endpoint; use security "
                    "groups to control access.",
                    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html"),
        SourcedFact("CDK's Domain applies accessPolicies through Custom::OpenSearchAccessPolicy, an "
                    "AwsCustomResource calling OpenSearch updateDomainConfig with AccessPolicies as a JSON "
                    "string (unless the @aws-cdk/aws-opensearchservice:inlineAccessPolicies flag writes them "
                    "to the domain's AccessPolicies).",
                    "aws-cdk packages/aws-cdk-lib/aws-opensearchservice/lib/opensearch-access-policy.ts"),
    ),
)


@dataclass(frozen=True)
class AppliedPolicy:
    """A policy document and where it comes from: the domain itself or a custom resource."""

    document: Any
    carrier: Resource
    carrier_view: StackView  # the stack the carrier is in (a custom resource may sit in another stack)
    property_path: str


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    domains = list(resolution.resources(*DOMAIN_TYPES))
    applied: dict[int, list[AppliedPolicy]] = {id(d): [] for _, d in domains}
    for view, domain in domains:
        policy = view.prop(domain, "AccessPolicies")  # an Unknown matters only on a VPC domain, below
        if policy is not None:
            applied[id(domain)].append(AppliedPolicy(_as_document(policy), domain, view, "Properties/AccessPolicies"))
    yield from _custom_resource_policies(resolution, domains, applied)
    for view, domain in domains:
        if not applied[id(domain)]:
            continue
        in_vpc = _has_vpc_endpoint(view, domain)
        if isinstance(in_vpc, Unknown):
            if any(_ip_conditions(p.document) for p in applied[id(domain)]):
                yield undetermined(view, domain, "VPCOptions", in_vpc)
            continue
        if not in_vpc:
            continue
        reported: set[int] = set()
        for policy in applied[id(domain)]:
            if id(policy.carrier) in reported:
                continue  # a custom resource's Update repeats its Create
            if isinstance(policy.document, Unknown):
                reported.add(id(policy.carrier))
                yield Undetermined(policy.carrier_view.stack, policy.carrier.logical_id,
                                   f"the access policy of VPC domain {domain.logical_id}: {policy.document.reason}")
                continue
            found = _ip_conditions(policy.document)
            if not found:
                hidden = _unreadable_conditions(policy.document)
                if hidden is not None:
                    reported.add(id(policy.carrier))
                    yield Undetermined(policy.carrier_view.stack, policy.carrier.logical_id,
                                       f"whether the access policy of VPC domain {domain.logical_id} tests "
                                       f"aws:SourceIp is not known before deploy ({hidden})")
                continue
            via = ("" if policy.carrier is domain
                   else f" (applied by {policy.carrier.type} {policy.carrier.logical_id})")
            reported.add(id(policy.carrier))
            yield violation_or_undetermined(
                policy.carrier_view, policy.carrier,
                f"the access policy of {domain.logical_id}{via} has an IP condition ({', '.join(found)}), but "
                f"the domain has a VPC endpoint: \"You can't attach an IP-based policy to a domain that has a "
                f"VPC endpoint\"",
                evidence={"domain": domain.logical_id, "ip_conditions": found,
                          "applied_by": policy.carrier.type},
                property_path=policy.property_path)


def _has_vpc_endpoint(view: StackView, domain: Resource) -> bool | Unknown:
    options = view.prop(domain, "VPCOptions")
    if isinstance(options, Unknown):
        return options
    if not isinstance(options, Mapping):
        return False
    subnets = options.get("SubnetIds")
    if isinstance(subnets, Unknown):
        return Unknown(f"VPCOptions.SubnetIds: {subnets.reason}")
    return bool(subnets)


def _custom_resource_policies(resolution: Resolution, domains, applied) -> Iterator[Outcome]:
    by_logical_id = {(id(view.template), d.logical_id): d for view, d in domains}
    # An unreadable call matters only if some domain here has (or may have) a VPC endpoint.
    vpc_domains = any(_has_vpc_endpoint(view, d) is not False for view, d in domains)
    for view in resolution.views:
        for carrier in view.template.of_type(*ACCESS_POLICY_RESOURCES):
            for key in SDK_CALL_PROPERTIES:
                raw = carrier.properties.get(key) if isinstance(carrier.properties, Mapping) else None
                if raw is None:
                    continue
                call = _sdk_call(view, raw)
                if isinstance(call, Unknown):
                    if vpc_domains:
                        yield Undetermined(view.stack, carrier.logical_id, f"{key}: {call.reason}")
                    break  # Update repeats Create: one UNKNOWN per resource
                parameters = call.document.get("parameters") if isinstance(call.document, Mapping) else None
                if not isinstance(parameters, Mapping) or "AccessPolicies" not in parameters:
                    continue
                target = _target_domain(parameters, call.tokens, view, by_logical_id, domains)
                if target is None:
                    continue  # a domain this template does not create: nothing known about its VPC endpoint
                policy = parameters["AccessPolicies"]
                document = _as_document(policy)
                applied[id(target)].append(AppliedPolicy(document, carrier, view, f"Properties/{key}"))


@dataclass(frozen=True)
class SdkCall:
    document: Any
    tokens: Mapping[str, Any]  # placeholder -> what the template wrote there (resolved)


_TOKEN = "__cdkcheck_token_{}__"
_TOKEN_PATTERN = re.compile(r"__cdkcheck_token_(\d+)__")


def _sdk_call(view: StackView, raw: Any) -> SdkCall | Unknown:
    """Parse the JSON text of an AwsCustomResource call, standing in placeholders for deploy-time values."""
    if isinstance(raw, Mapping) and not any(str(k).startswith(("Fn::", "Ref")) for k in raw):
        return SdkCall(view.value(raw), {})  # the call written as an object rather than a JSON string
    tokens: dict[str, Any] = {}
    text = _text_with_placeholders(view, raw, tokens)
    if isinstance(text, Unknown):
        return text
    try:
        return SdkCall(json.loads(text), tokens)
    except ValueError:
        return Unknown("the call is not JSON once its deploy-time values are stood in for")


def _text_with_placeholders(view: StackView, raw: Any, tokens: dict[str, Any]) -> str | Unknown:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, Mapping) and set(raw) == {"Fn::Join"}:
        arg = raw["Fn::Join"]
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], list)):
            return Unknown("Fn::Join takes [delimiter, list]")
        parts = []
        for part in arg[1]:
            text = _text_with_placeholders(view, part, tokens)
            if isinstance(text, Unknown):
                return text
            parts.append(text)
        return arg[0].join(parts)
    resolved = view.value(raw)
    if isinstance(resolved, (str, int, float)) and not isinstance(resolved, bool):
        return str(resolved)
    placeholder = _TOKEN.format(len(tokens))
    tokens[placeholder] = resolved
    return placeholder


def _target_domain(parameters: Mapping, tokens: Mapping[str, Any], view: StackView, by_logical_id, domains):
    name = parameters.get("DomainName")
    if isinstance(name, ResourceRef) and name.attribute is None:  # the domain's Ref, maybe through an export
        return by_logical_id.get((id(name.template or view.template), name.logical_id))
    if isinstance(name, str):
        if _TOKEN_PATTERN.fullmatch(name):
            ref = tokens.get(name)
            if isinstance(ref, ResourceRef) and ref.attribute is None:
                return by_logical_id.get((id(ref.template or view.template), ref.logical_id))
            return None
        for domain_view, domain in domains:  # an explicit DomainName
            if domain_view.text(domain, "DomainName") == name:
                return domain
    return None


def _as_document(policy: Any) -> Any:
    if isinstance(policy, str):  # placeholders for deploy-time values (ARNs) sit inside JSON strings
        try:
            return json.loads(policy)
        except ValueError:
            return Unknown("AccessPolicies is not a JSON policy document")
    return policy


def _ip_conditions(document: Any) -> list[str]:
    """"IpAddress aws:SourceIp" for each IP test in the policy's statements."""
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    found = []
    for statement in statements if isinstance(statements, list) else []:
        conditions = statement.get("Condition") if isinstance(statement, Mapping) else None
        if not isinstance(conditions, Mapping):
            continue
        for operator, tests in conditions.items():
            if not isinstance(tests, Mapping):
                continue
            for key in tests:
                if isinstance(key, str) and key.strip().lower() == IP_CONDITION_KEY:
                    found.append(f"{operator} {key}")
    return found


def _unreadable_conditions(document: Any) -> str | None:
    """Why the statements or conditions cannot be read (an Fn::If around them), or None."""
    if isinstance(document, Unknown):
        return document.reason
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Unknown):
        return f"Statement: {statements.reason}"
    if isinstance(statements, Mapping):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        if isinstance(statement, Unknown):
            return f"a statement: {statement.reason}"
        conditions = statement.get("Condition") if isinstance(statement, Mapping) else None
        if isinstance(conditions, Unknown):
            return f"Condition: {conditions.reason}"
        for tests in conditions.values() if isinstance(conditions, Mapping) else ():
            if isinstance(tests, Unknown):
                return f"Condition: {tests.reason}"
    return None


RULE = Rule(meta=META, evaluate=evaluate)
