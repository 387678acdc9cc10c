"""CDKC-S1: a public bucket policy on a new bucket whose Block Public Access refuses public policies."""

from __future__ import annotations

from typing import Any, Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined
from cdkcheck.template.intrinsics import ResourceRef, Unknown, follow
from cdkcheck_rules.toolkit import Resolution, violation_or_undetermined

BUCKET = "AWS::S3::Bucket"
POLICY = "AWS::S3::BucketPolicy"

META = RuleMeta(
    id="CDKC-S1",
    name="s3-public-policy-blocked",
    summary="A bucket policy grants public access on a new bucket whose Block Public Access (the default since "
            "April 2023) refuses public policies.",
    severity=Severity.ERROR,
    resource_types=(POLICY, BUCKET),
    rationale=(
        "With BlockPublicPolicy on, S3 rejects PutBucketPolicy for a policy that allows public access, and the "
        "BucketPolicy create fails with 'API: s3:PutBucketPolicy Access Denied' whatever the deploy role may do. "
        "Since April 2023 every new bucket starts with all four Block Public Access settings on; a bucket whose "
        "template gives PublicAccessBlockConfiguration gets exactly those settings (one left out is off). A "
        "statement is public here when it allows Principal '*' (or AWS '*') with no Condition at all; a "
        "statement with conditions may be non-public and is not judged. Account-level Block Public Access is "
        "not in the template and is not checked here."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    fix="Set the bucket's block_public_access to allow public policies (BlockPublicAccess(block_public_policy=False, "
        "restrict_public_buckets=False, ...)) when public read is intended, or serve it through CloudFront with "
        "origin access control and keep the bucket private.",
    example="s3.Bucket(website_index_document='index.html') with bucket.add_to_resource_policy(... "
            "principals=[AnyPrincipal()]) and the default Block Public Access.",
    facts=(
        SourcedFact("BlockPublicPolicy makes S3 reject PUT Bucket policy for a public policy",
                    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"),
        SourcedFact("new buckets have Block Public Access on by default since April 2023; the deploy then fails "
                    "with 'API: s3:PutBucketPolicy Access Denied'", "https://github.com/aws/aws-cdk/issues/25983"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, policy in resolution.resources(POLICY):
        target = view.prop(policy, "Bucket")
        bucket = follow(target)
        if not isinstance(target, ResourceRef) or bucket is None or bucket.type != BUCKET:
            continue  # an existing bucket: its Block Public Access is in the account, not the template
        public = [i for i, s in enumerate(_statements(view.prop(policy, "PolicyDocument"))) if _public(s)]
        if not public:
            continue
        home = resolution.view_of(target.template) or view
        block = home.prop(bucket, "PublicAccessBlockConfiguration")
        if isinstance(block, Unknown):
            yield Undetermined(view.stack, policy.logical_id,
                               f"the bucket's PublicAccessBlockConfiguration: {block.reason}", required=False)
            continue
        if block is None:
            setting = "the default for new buckets (all four settings on)"
        else:
            refuses = home.flag(bucket, "PublicAccessBlockConfiguration.BlockPublicPolicy", default=False)
            if isinstance(refuses, Unknown):
                yield Undetermined(view.stack, policy.logical_id, f"BlockPublicPolicy: {refuses.reason}",
                                   required=False)
                continue
            if not refuses:
                continue
            setting = "BlockPublicPolicy: true"
        yield violation_or_undetermined(
            view, policy,
            f"statement {public[0]} allows Principal '*' without conditions on bucket "
            f"{bucket.construct_path or bucket.logical_id}, whose Block Public Access is {setting}: S3 refuses the "
            "policy ('API: s3:PutBucketPolicy Access Denied')",
            evidence={"bucket": bucket.logical_id, "public_statements": public,
                      "public_access_block": block if isinstance(block, dict) else "default (all on)"},
            property_path=f"Properties/PolicyDocument/Statement/{public[0]}")


def _statements(document: Any) -> list:
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        return [statements]
    return statements if isinstance(statements, list) else []


def _public(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    values = principal.get("AWS") if isinstance(principal, dict) else None
    return values == "*" or (isinstance(values, list) and "*" in values)


RULE = Rule(meta=META, evaluate=evaluate)
