"""One boto3 session per environment, bounded in time and unable to write.

READ_ONLY_OPERATIONS is the single list of AWS operations cdkcheck may send;
a `before-call` hook refuses anything else before it leaves the machine, and
docs/iam-policy.json is derived from the same list (`iam_policy()`).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

# client name -> API operations cdkcheck reads with. Nothing else is ever sent.
READ_ONLY_OPERATIONS: Mapping[str, frozenset[str]] = {
    "sts": frozenset({"GetCallerIdentity"}),
    "ec2": frozenset({
        "DescribeAvailabilityZones", "DescribeSubnets", "DescribeVpcs", "DescribeInternetGateways",
        "DescribeNatGateways", "DescribeAddresses", "DescribeNetworkInterfaces", "DescribeSecurityGroups",
    }),
    "service-quotas": frozenset({"GetServiceQuota", "ListAWSDefaultServiceQuotas"}),
    "rds": frozenset({
        "DescribeAccountAttributes", "DescribeDBInstances", "DescribeDBClusters", "DescribeDBSubnetGroups",
        "DescribeOrderableDBInstanceOptions", "DescribeDBEngineVersions",
    }),
    "opensearch": frozenset({"ListDomainNames", "ListInstanceTypeDetails", "DescribeInstanceTypeLimits"}),
    "elbv2": frozenset({"DescribeLoadBalancers", "DescribeTargetGroups"}),
    "elasticache": frozenset({"DescribeCacheClusters", "DescribeReplicationGroups", "DescribeCacheSubnetGroups"}),
    "logs": frozenset({"DescribeLogGroups"}),
    "s3": frozenset({"HeadBucket"}),
    # DescribeStackEvents and ListStacks: `cdkcheck why` reads a failed (or deleted) stack's history.
    "cloudformation": frozenset({"DescribeStacks", "ListStackResources", "GetTemplate", "DescribeType", "ListExports",
                                 "ListImports", "DescribeStackEvents", "ListStacks"}),
    # GetParameter reads only the CDK bootstrap version (a String); referenced parameters are
    # looked up with DescribeParameters, which never returns a value.
    "ssm": frozenset({"GetParameter", "DescribeParameters"}),
    # SimulatePrincipalPolicy evaluates policies without calling anything; the listings give names and ARNs.
    "iam": frozenset({"GetRole", "ListRoles", "ListUsers", "SimulatePrincipalPolicy"}),
    # Metadata only: GetSecretValue / BatchGetSecretValue (values) are deliberately absent.
    "secretsmanager": frozenset({"ListSecrets"}),
    "cloudwatch": frozenset({"ListDashboards", "DescribeAlarms"}),
    "dynamodb": frozenset({"ListTables"}),
    "lambda": frozenset({"ListFunctions", "GetAccountSettings"}),
    "apigateway": frozenset({"GetAccount"}),
    "cloudfront": frozenset({"ListDistributions"}),
    "ecr": frozenset({"DescribeRepositories"}),
}
# Operations that return a secret's or a SecureString's value: never on the list above, whatever is added.
VALUE_READING_OPERATIONS: Mapping[str, frozenset[str]] = {
    "secretsmanager": frozenset({"GetSecretValue", "BatchGetSecretValue"}),
    "ssm": frozenset({"GetParameters", "GetParametersByPath", "GetParameterHistory"}),
}
READ_PREFIXES = ("Describe", "Get", "List", "Head", "Simulate")

# IAM's action prefix where it differs from the client name.
_IAM_PREFIX = {"service-quotas": "servicequotas", "opensearch": "es", "elbv2": "elasticloadbalancing"}
# Operations authorized by an action of another name.
_IAM_ACTION_OF = {("s3", "HeadBucket"): "s3:ListBucket", ("apigateway", "GetAccount"): "apigateway:GET"}

DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 6.0
DEFAULT_MAX_ATTEMPTS = 3  # in total, the first try included
# Answers cdkcheck may run concurrently (one client per service, shared by threads).
MAX_CONCURRENCY = 8


class WriteRefused(RuntimeError):
    """cdkcheck tried to send an operation that is not on its read-only list: a bug, never sent."""


def iam_actions() -> list[str]:
    actions = {
        _IAM_ACTION_OF.get((service, op), f"{_IAM_PREFIX.get(service, service)}:{op}")
        for service, operations in READ_ONLY_OPERATIONS.items()
        for op in operations
    }
    return sorted(actions)


def iam_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CdkcheckReadOnly",
            "Effect": "Allow",
            "Action": iam_actions(),
            "Resource": "*",
        }],
    }


def refuse_writes(model=None, params=None, **_: Any) -> None:
    """botocore hook (before-parameter-build, before-call): only READ_ONLY_OPERATIONS leave the process."""
    service = model.service_model.service_name
    decrypting = isinstance(params, dict) and bool(params.get("WithDecryption"))
    if model.name in VALUE_READING_OPERATIONS.get(service, ()) or (service == "ssm" and decrypting):
        raise WriteRefused(f"cdkcheck refused to send {service}:{model.name}: it would read a secret's value")
    if model.name not in READ_ONLY_OPERATIONS.get(service, ()) or not model.name.startswith(READ_PREFIXES):
        raise WriteRefused(f"cdkcheck refused to send {service}:{model.name}: not on its read-only list")


def botocore_config(connect_timeout: float | None = None, read_timeout: float | None = None):
    """Bounded retries and timeouts: an unreachable endpoint fails within seconds, not minutes.

    Timeouts: CDKCHECK_AWS_CONNECT_TIMEOUT / CDKCHECK_AWS_READ_TIMEOUT (seconds) over the
    arguments (the config's aws_connect_timeout / aws_read_timeout) over the defaults.
    AWS_MAX_ATTEMPTS / AWS_RETRY_MODE are honoured as the AWS SDKs document them.
    """
    from botocore.config import Config

    return Config(
        connect_timeout=_float_env("CDKCHECK_AWS_CONNECT_TIMEOUT", connect_timeout or DEFAULT_CONNECT_TIMEOUT),
        read_timeout=_float_env("CDKCHECK_AWS_READ_TIMEOUT", read_timeout or DEFAULT_READ_TIMEOUT),
        retries={
            "mode": os.environ.get("AWS_RETRY_MODE") or "standard",
            # botocore's "max_attempts" counts retries only; AWS_MAX_ATTEMPTS means all attempts.
            "total_max_attempts": int(_float_env("AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
        },
        max_pool_connections=MAX_CONCURRENCY,
        user_agent_extra="cdkcheck",
    )


def new_session(profile: str | None, region: str | None):
    """A boto3 session that can only read. Profile and region as configured, else the AWS defaults."""
    import boto3

    session = boto3.Session(profile_name=profile, region_name=region)
    # before-parameter-build runs for every call, stubbed ones included, before anything is serialized.
    session.events.register("before-parameter-build", refuse_writes, unique_id="cdkcheck-refuse-writes")
    session.events.register("before-call", refuse_writes, unique_id="cdkcheck-refuse-writes-call")
    return session


def _float_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default
