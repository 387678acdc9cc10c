"""Reading an AWS::CloudFront::Distribution's config, shared by the CloudFront rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from cdkcheck.model import Resource
from cdkcheck.template.intrinsics import ResourceRef, Unknown, follow
from cdkcheck_rules.toolkit import StackView

DISTRIBUTION = "AWS::CloudFront::Distribution"
CONFIG = "DistributionConfig"
# CloudFront is a global service whose certificates and Lambda@Edge functions live in this region.
CONTROL_REGION = "us-east-1"


def region_of_arn(arn: str) -> str | None:
    """The region field of an ARN (arn:partition:service:region:account:...), None when it has none."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


@dataclass(frozen=True)
class Association:
    """One Lambda@Edge function association of a cache behavior."""
    behavior: str  # "DefaultCacheBehavior" or "CacheBehaviors[2]"
    index: int
    event_type: str | Unknown | None
    function_arn: Any  # resolved LambdaFunctionARN: a ResourceRef to a Version, a string, or Unknown

    @property
    def path(self) -> str:
        return f"{CONFIG}.{self.behavior}.LambdaFunctionAssociations[{self.index}].LambdaFunctionARN"

    @property
    def viewer(self) -> bool:
        return isinstance(self.event_type, str) and self.event_type.startswith("viewer-")


def associations(view: StackView, distribution: Resource) -> Iterator[Association]:
    behaviors = [("DefaultCacheBehavior", view.prop(distribution, f"{CONFIG}.DefaultCacheBehavior"))]
    others = view.prop(distribution, f"{CONFIG}.CacheBehaviors")
    if isinstance(others, list):
        behaviors += [(f"CacheBehaviors[{i}]", b) for i, b in enumerate(others)]
    for name, behavior in behaviors:
        if not isinstance(behavior, dict):
            continue
        entries = behavior.get("LambdaFunctionAssociations")
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield Association(name, index, entry.get("EventType"), entry.get("LambdaFunctionARN"))


def function_of_version(value: Any, view: StackView) -> Resource | None:
    """The AWS::Lambda::Function behind a Ref to an AWS::Lambda::Version of the template, if it is one."""
    version = follow(value)
    if version is None or version.type != "AWS::Lambda::Version":
        return None
    target = view.value(version.properties.get("FunctionName"))
    function = follow(target)
    return function if function is not None and function.type == "AWS::Lambda::Function" else None


def bucket_of(value: Any) -> Resource | None:
    """The AWS::S3::Bucket a resolved domain-name value points at (GetAtt Bucket.DomainName / RegionalDomainName)."""
    resource = follow(value)
    if isinstance(value, ResourceRef) and resource is not None and resource.type == "AWS::S3::Bucket":
        return resource
    return None


def property_path(path: str) -> str:
    return "Properties/" + path.replace(".", "/")
