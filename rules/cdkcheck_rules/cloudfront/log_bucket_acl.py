"""CDKC-C2: a distribution's standard logs go to a bucket created with ACLs disabled."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined
from cdkcheck.template.intrinsics import Unknown
from cdkcheck_rules.cloudfront.support import CONFIG, DISTRIBUTION, bucket_of, property_path
from cdkcheck_rules.toolkit import Resolution, violation_or_undetermined

PATH = f"{CONFIG}.Logging.Bucket"
# Object Ownership settings that keep ACLs enabled; BucketOwnerEnforced (the default for new buckets) disables them.
ACL_ENABLED = ("ObjectWriter", "BucketOwnerPreferred")

META = RuleMeta(
    id="CDKC-C2",
    name="cloudfront-log-bucket-acls",
    summary="A distribution's standard logging bucket is created with ACLs disabled; CloudFront refuses it.",
    severity=Severity.ERROR,
    resource_types=(DISTRIBUTION, "AWS::S3::Bucket"),
    rationale=(
        "CloudFront standard logging (legacy, to S3) delivers log files through bucket ACLs: the bucket must "
        "have ACLs enabled. Since April 2023 new buckets are created with Object Ownership 'BucketOwnerEnforced' "
        "(ACLs disabled) unless OwnershipControls says otherwise, and the distribution's create then fails with "
        "'The S3 bucket that you specified for CloudFront logs does not enable ACL access'. The logging bucket is "
        "followed to an AWS::S3::Bucket of the selected stacks; an existing bucket (a literal domain name) is "
        "reported as not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html",
    fix="Create the log bucket with object_ownership=ObjectOwnership.OBJECT_WRITER (or BUCKET_OWNER_PREFERRED), "
        "or let Distribution(enable_logging=True) create it.",
    example="Distribution(log_bucket=s3.Bucket(self, 'Logs')) with the bucket's default object ownership.",
    facts=(
        SourcedFact("new buckets default to BucketOwnerEnforced (ACLs disabled) since April 2023",
                    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html"),
        SourcedFact("the distribution's create fails: 'does not enable ACL access'",
                    "https://github.com/aws-samples/baseline-environment-on-aws/issues/363"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, distribution in resolution.resources(DISTRIBUTION):
        value = view.prop(distribution, PATH)
        if value is None:
            continue
        bucket = bucket_of(value)
        if bucket is None:
            reason = value.reason if isinstance(value, Unknown) else "an existing bucket"
            yield Undetermined(view.stack, distribution.logical_id,
                               f"{PATH} ({reason}): whether its ACLs are enabled is not in the template",
                               required=False)
            continue
        home = resolution.view_of(value.template) or view
        ownership = home.prop(bucket, "OwnershipControls.Rules")
        if isinstance(ownership, Unknown):
            yield Undetermined(view.stack, distribution.logical_id,
                               f"the log bucket's OwnershipControls: {ownership.reason}", required=False)
            continue
        settings = [r.get("ObjectOwnership") for r in ownership or [] if isinstance(r, dict)]
        if any(isinstance(s, Unknown) for s in settings):
            yield Undetermined(view.stack, distribution.logical_id,
                               "the log bucket's ObjectOwnership is known only at deploy time", required=False)
            continue
        if any(s in ACL_ENABLED for s in settings):
            continue
        setting = settings[0] if settings else "BucketOwnerEnforced (the default for new buckets)"
        yield violation_or_undetermined(
            view, distribution,
            f"standard logs go to bucket {bucket.construct_path or bucket.logical_id}, created with object "
            f"ownership {setting}: ACLs are disabled and CloudFront refuses it ('does not enable ACL access')",
            evidence={"log_bucket": bucket.logical_id, "object_ownership": settings or None},
            property_path=property_path(PATH),
            fix="Set the log bucket's object ownership to ObjectWriter (or BucketOwnerPreferred).")


RULE = Rule(meta=META, evaluate=evaluate)
