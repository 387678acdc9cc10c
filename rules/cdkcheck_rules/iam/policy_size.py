"""CDKC-I1: an IAM policy document is over IAM's size limit."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from cdkcheck.model import Resource, Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact
from cdkcheck.template.intrinsics import ResourceRef, follow
from cdkcheck_rules.iam.support import minimum_size
from cdkcheck_rules.toolkit import Resolution, StackView, violation_or_undetermined

MANAGED_LIMIT = 6144
# Aggregate size of all inline policies of one identity (IAM quotas, character limits).
INLINE_LIMITS = {"AWS::IAM::Role": 10240, "AWS::IAM::User": 2048, "AWS::IAM::Group": 5120}
ATTACHMENTS = {"Roles": "AWS::IAM::Role", "Users": "AWS::IAM::User", "Groups": "AWS::IAM::Group"}
SINGLE = {"AWS::IAM::RolePolicy": ("RoleName", "AWS::IAM::Role"),
          "AWS::IAM::UserPolicy": ("UserName", "AWS::IAM::User"),
          "AWS::IAM::GroupPolicy": ("GroupName", "AWS::IAM::Group")}

META = RuleMeta(
    id="CDKC-I1",
    name="iam-policy-size",
    summary="An IAM policy is over IAM's size limit: 6,144 characters for a managed policy, 10,240 for all "
            "inline policies of a role (2,048 user, 5,120 group).",
    severity=Severity.ERROR,
    resource_types=("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", *INLINE_LIMITS, *SINGLE),
    rationale=(
        "IAM refuses a managed policy document over 6,144 characters ('Cannot exceed quota for PolicySize: "
        "6144', LimitExceeded) and an inline policy that brings the identity's inline policies over 10,240 "
        "characters for a role, 2,048 for a user or 5,120 for a group ('Maximum policy size of 10240 bytes "
        "exceeded for role ...'). Whitespace is not counted. CDK grows a role's DefaultPolicy with every grant "
        "(aws/aws-cdk#4465, #9316, #19939) and cfn-lint does not measure policies (cfn-lint#3804). The size is "
        "counted as a lower bound: a value known only at deploy time (an ARN of a resource being created, an "
        "import) counts as empty, so the real document is at least as long."
    ),
    docs_url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length",
    fix="Split the permissions over several managed policies (up to 10 per role by default), use wildcards or "
        "conditions instead of long resource lists, or grant on prefixes rather than per resource.",
    example="A CodeBuild role granted access to 60 buckets one by one: its DefaultPolicy passes 10,240 characters.",
    facts=(
        SourcedFact("managed policy 6,144 characters; role inline policies 10,240 in total; user 2,048; "
                    "group 5,120; whitespace not counted",
                    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"),
        SourcedFact("'Maximum policy size of 10240 bytes exceeded for role' on CDK-generated default policies",
                    "https://github.com/aws/aws-cdk/issues/9316"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, policy in resolution.resources("AWS::IAM::ManagedPolicy"):
        size = minimum_size(view.prop(policy, "PolicyDocument"))
        if size > MANAGED_LIMIT:
            yield violation_or_undetermined(
                view, policy,
                f"managed policy document is at least {size} characters (whitespace not counted); IAM's limit is "
                f"{MANAGED_LIMIT}: 'Cannot exceed quota for PolicySize: {MANAGED_LIMIT}'",
                evidence={"size_at_least": size, "limit": MANAGED_LIMIT},
                property_path="Properties/PolicyDocument")
    # identity -> [(view, resource that carries the policy, size)]
    inline: dict[tuple[int, str], list[tuple[StackView, Resource, int]]] = defaultdict(list)
    identities: dict[tuple[int, str], tuple[StackView, Resource]] = {}
    for view, identity in resolution.resources(*INLINE_LIMITS):
        key = (id(view.template), identity.logical_id)
        identities[key] = (view, identity)
        documents = view.prop(identity, "Policies")
        for item in documents if isinstance(documents, list) else []:
            if isinstance(item, dict):
                inline[key].append((view, identity, minimum_size(item.get("PolicyDocument"))))
    for view, policy in resolution.resources("AWS::IAM::Policy", *SINGLE):
        size = minimum_size(view.prop(policy, "PolicyDocument"))
        targets = []
        if policy.type == "AWS::IAM::Policy":
            for prop, kind in ATTACHMENTS.items():
                value = view.prop(policy, prop)
                targets += [(v, kind) for v in (value if isinstance(value, list) else [])]
        else:
            prop, kind = SINGLE[policy.type]
            targets.append((view.prop(policy, prop), kind))
        for value, kind in targets:
            identity = follow(value)
            if isinstance(value, ResourceRef) and identity is not None and identity.type == kind:
                inline[(id(value.template), identity.logical_id)].append((view, policy, size))
    for key, parts in inline.items():
        if key not in identities:
            continue
        view, identity = identities[key]
        limit = INLINE_LIMITS[identity.type]
        total = sum(size for _, _, size in parts)
        if total <= limit:
            continue
        largest_view, largest, _ = max(parts, key=lambda p: p[2])
        kind = identity.type.rsplit("::", 1)[-1].lower()
        yield violation_or_undetermined(
            largest_view, largest,
            f"the inline policies of {kind} {identity.construct_path or identity.logical_id} are at least {total} "
            f"characters together (whitespace not counted); IAM's limit is {limit}: 'Maximum policy size of "
            f"{limit} bytes exceeded for {kind}'",
            evidence={"size_at_least": total, "limit": limit, "identity": identity.logical_id,
                      "policies": {p.logical_id: size for _, p, size in parts}},
            property_path="Properties/PolicyDocument" if largest is not identity else "Properties/Policies")


RULE = Rule(meta=META, evaluate=evaluate)
