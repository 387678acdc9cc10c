"""Failure reasons CloudFormation reports, each tied to the rule that would have stopped the deploy.

A pattern matches the service's own words inside the reason (CloudFormation wraps them in
"Resource handler returned message: ..."). `rule_id` is the cdkcheck rule, or the blocking
cfn-lint id, that covers the cause; `also` the other rules that report the same cause (an
offline check for a live one). A reason with `rule_id` None is a known failure no rule can
foresee from the template and the account. Every entry names a public report of the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ReasonPattern:
    name: str
    pattern: re.Pattern
    rule_id: str | None
    source: str
    also: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()  # empty: any
    note: str = ""  # for uncovered reasons: why no check can see it coming

    def matches(self, reason: str, resource_type: str) -> bool:
        if self.resource_types and resource_type not in self.resource_types:
            return False
        return bool(self.pattern.search(reason or ""))


def _p(text: str) -> re.Pattern:
    return re.compile(text, re.IGNORECASE)


CATALOGUE: tuple[ReasonPattern, ...] = (
    ReasonPattern("rds-storage-size", _p(r"Invalid storage size for engine name \S+ and storage type"),
                  "CDKC-R4", "https://github.com/convox/rack/issues/2846"),
    ReasonPattern("rds-iops-small-storage",
                  _p(r"You can't specify IOPS or storage throughput for engine \S+ and a storage size less than"),
                  "CDKC-R5", "https://github.com/cloud-gov/terraform-provision/pull/1556"),
    ReasonPattern("rds-iops-ratio", _p(r"Invalid iops to (max )?storage \(GB\) ratio"),
                  "CDKC-R5", "https://github.com/ministryofjustice/cloud-platform-environments/pull/3966"),
    ReasonPattern("rds-engine-version", _p(r"Cannot find version \S+ for \S+"),
                  "CDKC-L3", "https://github.com/stratospheric-dev/cdk-constructs/issues/542",
                  also=("W3691", "E3691")),
    ReasonPattern("rds-orderable", _p(r"RDS does not support creating a DB instance with the following combination"),
                  "CDKC-L3", "https://github.com/aws-cloudformation/cfn-lint/issues/4048", also=("E3062", "E3025")),
    ReasonPattern("rds-subnet-group-azs",
                  _p(r"DB Subnet Group doesn't meet (availability zone|Availability Zone \(AZ\)) coverage requirement"),
                  "CDKC-R6", "https://github.com/aws/aws-cdk/issues/8279"),
    ReasonPattern("opensearch-even-data-nodes", _p(r"even number of data nodes"),
                  "CDKC-O5", "https://github.com/cloudposse/terraform-aws-elasticsearch/issues/192"),
    ReasonPattern("opensearch-one-subnet", _p(r"You must specify exactly one subnet"),
                  "CDKC-O4", "https://github.com/aws/aws-cdk/issues/29346"),
    ReasonPattern("opensearch-service-linked-role",
                  _p(r"must enable a service-linked role to give Amazon (OpenSearch Service|ES) permissions"),
                  "CDKC-L5", "https://github.com/aws/copilot-cli/issues/3006"),
    ReasonPattern("ecs-service-linked-role", _p(r"Unable to assume the service linked role"),
                  "CDKC-L5", "https://github.com/aws-samples/baseline-environment-on-aws/issues/238"),
    ReasonPattern("elb-free-addresses",
                  _p(r"(ELB requires at least 8 free IP addresses|Not enough IP space available in subnet)"),
                  "CDKC-V5", "https://github.com/aws/aws-rfdk/pull/621", also=("CDKC-L2",)),
    ReasonPattern("alb-two-zones", _p(r"At least two subnets in two different Availability Zones must be specified"),
                  "CDKC-V5", "https://github.com/aws-cloudformation/cfn-lint/issues/638", also=("E3680",)),
    ReasonPattern("elastic-ip-quota", _p(r"The maximum number of addresses has been reached"),
                  "CDKC-L1", "https://github.com/radius-project/samples/issues/711", also=("CDKC-Q1",)),
    ReasonPattern("referenced-secret-missing", _p(r"Secrets Manager can't find the specified secret"),
                  "CDKC-L10", "https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1187"),
    ReasonPattern("name-already-exists", _p(r"\balready exists\b"),
                  "CDKC-L6", "https://github.com/aws-samples/iam-identity-center-team/issues/157"),
    ReasonPattern("named-replacement",
                  _p(r"CloudFormation cannot update a stack when a custom-named resource requires replacing"),
                  "CDKC-U1", "https://github.com/convox/rack/issues/2941"),
    ReasonPattern("elasticache-encryption", _p(r"Encryption feature is not supported for engine"),
                  "CDKC-E1", "https://github.com/aws/aws-cdk/issues/27379"),
    ReasonPattern("lambda-runtime-retired",
                  _p(r"The runtime parameter of \S+ is no longer supported for creating or updating AWS Lambda"),
                  "E2531", "https://github.com/aws-samples/aws-cdk-examples/issues/1003", also=("E2533",)),
    # Known failures no check of the template or the account can foresee.
    ReasonPattern("ecs-circuit-breaker", _p(r"ECS Deployment Circuit Breaker was triggered"),
                  None, "https://github.com/aws/copilot-cli/issues/2584",
                  note="the service's tasks did not become healthy (image, command, health check, secrets at task "
                       "start): the service's events and the task logs hold the cause"),
    ReasonPattern("insufficient-capacity", _p(r"(do not have sufficient \S+ capacity|InsufficientInstanceCapacity)"),
                  None, "https://github.com/eksctl-io/eksctl/issues/3816",
                  note="AWS had no capacity of that type in the zone at that moment; retry or choose another zone"),
)


def match_reason(reason: str, resource_type: str = "") -> ReasonPattern | None:
    return next((entry for entry in CATALOGUE if entry.matches(reason, resource_type)), None)
