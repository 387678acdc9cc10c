"""CDKC-C1: a CloudFront distribution's ACM certificate is not in us-east-1."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined
from cdkcheck.template.intrinsics import ResourceRef, Unknown, follow
from cdkcheck_rules.cloudfront.support import CONFIG, CONTROL_REGION, DISTRIBUTION, property_path, region_of_arn
from cdkcheck_rules.toolkit import Resolution, violation_or_undetermined

CERTIFICATE = "AWS::CertificateManager::Certificate"
PATH = f"{CONFIG}.ViewerCertificate.AcmCertificateArn"

META = RuleMeta(
    id="CDKC-C1",
    name="cloudfront-certificate-region",
    summary="A CloudFront distribution uses an ACM certificate from a region other than us-east-1.",
    severity=Severity.ERROR,
    resource_types=(DISTRIBUTION, CERTIFICATE),
    rationale=(
        "CloudFront only accepts ACM certificates requested or imported in US East (N. Virginia); any other "
        "region's certificate fails the create with 'The specified SSL certificate doesn't exist, isn't in "
        "us-east-1 region, isn't valid, or doesn't include a valid certificate chain' (InvalidViewerCertificate). "
        "CDK does not check it (aws/aws-cdk#3464): a Certificate created in the same stack as the distribution "
        "lives in that stack's region. The certificate is followed through Refs to a Certificate of the "
        "selected stacks (its stack's region) or read from the ARN; a value known only at deploy time is "
        "reported as not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html",
    fix="Request the certificate in us-east-1 (a separate stack with env region us-east-1 and "
        "crossRegionReferences, or an existing certificate's ARN from us-east-1) and pass that to the distribution.",
    example="Certificate(self, 'Cert', domain_name='www.example.com') in a stack deployed to eu-central-1, "
            "used as Distribution(certificate=cert).",
    facts=(
        SourcedFact("CloudFront takes ACM certificates only from us-east-1",
                    "https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html"),
        SourcedFact("the create fails with InvalidViewerCertificate",
                    "https://github.com/aws/aws-cdk/issues/3464"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, distribution in resolution.resources(DISTRIBUTION):
        value = view.prop(distribution, PATH)
        if value is None:
            continue  # the default *.cloudfront.net certificate, or an IAM certificate
        if isinstance(value, Unknown):
            yield Undetermined(view.stack, distribution.logical_id,
                               f"{PATH}: {value.reason}; its region is not known before deploy", required=False)
            continue
        certificate = follow(value)
        if isinstance(value, ResourceRef) and certificate is not None and certificate.type == CERTIFICATE:
            home = resolution.view_of(value.template)
            region = home.env.region if home is not None else None
            where = f"certificate {certificate.construct_path or certificate.logical_id} is created in " \
                    f"{'this stack' if home is view else (home.stack.display_name if home else 'its stack')}"
            if region is None:
                yield Undetermined(view.stack, distribution.logical_id,
                                   f"{where}, whose region is not known before deploy", required=False)
                continue
        elif isinstance(value, str):
            region = region_of_arn(value)
            where = f"certificate {value}"
            if region is None:
                continue  # not an ARN: cfn-lint reports the malformed value
        else:
            continue
        if region != CONTROL_REGION:
            yield violation_or_undetermined(
                view, distribution,
                f"{where} in {region}: CloudFront takes certificates only from {CONTROL_REGION} "
                "(InvalidViewerCertificate)",
                evidence={"certificate_region": region, "required_region": CONTROL_REGION},
                property_path=property_path(PATH))


RULE = Rule(meta=META, evaluate=evaluate)
