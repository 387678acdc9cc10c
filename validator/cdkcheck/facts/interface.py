"""The read-only view of an AWS account that rules may consult.

Rules never see boto3: they ask this interface, and a fact that cannot be had
raises FactUnavailable with the reason, which the engine reports as UNKNOWN
(or as skipped, when live checks were turned off on purpose).

Every question is a method whose arguments and answer are plain data, so the
answers can be recorded to a file and replayed (`cdkcheck snapshot`, `--facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable


class FactUnavailable(Exception):
    def __init__(self, reason: str, *, skipped: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.skipped = skipped  # True: deliberately not looked up (offline), not a failure


# ------------------------------------------------------------------ answers


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str
    credential_source: str | None = None  # botocore's name for it: env, assume-role, sso, iam-role ...
    # Seconds until the credentials expire and nothing renews them; None when unknown or renewed.
    seconds_left: float | None = None


@dataclass(frozen=True)
class SubnetFacts:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr_block: str
    available_ips: int


@dataclass(frozen=True)
class QuotaFacts:
    service: str
    code: str
    name: str
    value: float
    source: str  # "applied" (Service Quotas), "aws-default" (Service Quotas default), "account-attributes"


@dataclass(frozen=True)
class UsageFacts:
    metric: str
    value: float
    source: str  # the call that counted it, e.g. "ec2.describe_addresses"
    by_zone: Mapping[str, float] = field(default_factory=dict)  # per-AZ metrics (NAT gateways)


@dataclass(frozen=True)
class DeployedStack:
    name: str
    stack_id: str
    status: str
    status_reason: str | None = None
    logical_ids: frozenset[str] = frozenset()  # the resources CloudFormation holds for it
    nested: Mapping[str, str] = field(default_factory=dict)  # nested stack logical id -> its stack id


@dataclass(frozen=True)
class DeployedTemplate:
    """The template a stack was last deployed with (GetTemplate, TemplateStage Original).

    Kept as JSON text so the recorded answer holds it byte for byte; literal secrets
    (NoEcho defaults, passwords written into the template) are masked as "***".
    """

    stack_name: str
    template_json: str


@dataclass(frozen=True)
class RdsOrderableOption:
    engine: str
    engine_version: str
    instance_class: str
    storage_type: str
    multi_az_capable: bool
    availability_zones: tuple[str, ...] = ()
    min_storage_gib: int | None = None
    max_storage_gib: int | None = None


@dataclass(frozen=True)
class RdsEngineVersion:
    engine: str
    version: str
    status: str  # "available", "deprecated"
    parameter_group_family: str | None = None


@dataclass(frozen=True)
class OpenSearchInstanceLimits:
    engine_version: str
    instance_type: str
    min_instances: int | None = None
    max_instances: int | None = None
    # "ebs/gp3" -> {"MinimumVolumeSize": 10, "MaximumVolumeSize": 1024, ...} as AWS names them.
    storage: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class SecretFacts:
    """What Secrets Manager lists about a secret: its name and ARN, never its value."""

    name: str
    arn: str
    # Set while the secret is scheduled for deletion (ListSecrets' DeletedDate): it cannot be
    # resolved, and its name cannot be reused until it is restored or the deletion completes.
    deleted_date: str | None = None

    @property
    def scheduled_for_deletion(self) -> bool:
        return self.deleted_date is not None


@dataclass(frozen=True)
class PermissionDecision:
    """How IAM's policy simulator decided one action on one resource for a principal."""

    action: str
    resource: str
    decision: str  # "allowed", "explicitDeny", "implicitDeny"
    matched: tuple[str, ...] = ()  # SourcePolicyId of each statement that decided (a policy name or ARN)
    missing_context: tuple[str, ...] = ()  # context keys a condition needed and the simulation did not have
    allowed_by_boundary: bool | None = None  # None: no permissions boundary applies
    allowed_by_organizations: bool | None = None  # None: the account is in no organization (or SCPs not shown)

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


@dataclass(frozen=True)
class LambdaConcurrency:
    limit: int  # the account's concurrent executions quota in the region
    unreserved: int  # what no function has reserved


# The floor Lambda keeps unreserved: "UnreservedConcurrentExecution below its minimum value of [100]".
LAMBDA_UNRESERVED_FLOOR = 100


# Account-wide usage counters a quota is compared with (see AccountFacts.usage).
USAGE_METRICS: Mapping[str, str] = {
    "ec2:vpcs": "VPCs in the region",
    "ec2:internet-gateways": "internet gateways in the region",
    "ec2:nat-gateways": "NAT gateways (pending or available), per availability zone",
    "ec2:elastic-ips": "Elastic IP addresses allocated in the region",
    "ec2:network-interfaces": "network interfaces in the region",
    "ec2:security-groups": "security groups in the region",
    "opensearch:domains": "OpenSearch / Elasticsearch domains in the region",
    "elbv2:application-load-balancers": "Application Load Balancers in the region",
    "elbv2:target-groups": "target groups in the region",
    "elasticache:nodes": "ElastiCache cache nodes in the region",
    # RDS reports usage and maximum together (describe_account_attributes).
    "rds:DBInstances": "RDS DB instances (Aurora, Neptune and DocumentDB instances included)",
    "rds:AllocatedStorage": "RDS allocated storage, GiB",
    "rds:DBSubnetGroups": "RDS DB subnet groups",
    "rds:DBClusters": "RDS DB clusters",
}

# Kinds of explicitly named resources whose names can already be taken (AccountFacts.existing_names).
NAMED_KINDS: Mapping[str, str] = {
    "rds-instance": "RDS DB instance identifier",
    "rds-cluster": "RDS DB cluster identifier",
    "rds-subnet-group": "RDS DB subnet group name",
    "opensearch-domain": "OpenSearch / Elasticsearch domain name",
    "elasticache-replication-group": "ElastiCache replication group id",
    "elasticache-cluster": "ElastiCache cluster id",
    "elasticache-subnet-group": "ElastiCache subnet group name",
    "log-group": "CloudWatch Logs log group name",
    "s3-bucket": "S3 bucket name (global: any account)",
    "iam-role": "IAM role name",
    "secretsmanager-secret": "Secrets Manager secret name (secrets scheduled for deletion included)",
    "ssm-parameter": "SSM parameter name",
    "cloudwatch-dashboard": "CloudWatch dashboard name",
    "cloudwatch-alarm": "CloudWatch alarm name (metric and composite alarms)",
    "dynamodb-table": "DynamoDB table name",
    "lambda-function": "Lambda function name",
    "ecr-repository": "ECR repository name",
}


@runtime_checkable
class AccountFacts(Protocol):
    """Everything here is a read. Implementations cache within a run."""

    def identity(self) -> CallerIdentity: ...

    def availability_zones(self) -> tuple[str, ...]: ...

    def subnets(self, subnet_ids: tuple[str, ...]) -> dict[str, SubnetFacts]:
        """The subnets that exist, by id; ids the account does not have are left out."""

    def quota(self, service: str, code: str) -> QuotaFacts | None:
        """The quota in force; None when AWS publishes no figure for it (fall back to the documented default)."""

    def usage(self, metric: str) -> UsageFacts:
        """How much of USAGE_METRICS[metric] the account uses now."""

    def deployed_stack(self, stack_name: str) -> DeployedStack | None:
        """The CloudFormation stack by name or stack id; None when it does not exist."""

    def deployed_template(self, stack_name: str) -> DeployedTemplate | None:
        """The template the stack (name or stack id) runs now; None when the stack does not exist."""

    def bootstrap_version(self, parameter_name: str) -> int | None:
        """The CDK bootstrap version in that SSM parameter; None when the parameter does not exist."""

    def role_exists(self, role_name: str) -> bool: ...

    def existing_names(self, kind: str, names: tuple[str, ...]) -> frozenset[str]:
        """Which of `names` (of NAMED_KINDS[kind]) are taken already."""

    def rds_orderable(self, engine: str, engine_version: str | None,
                      instance_class: str) -> tuple[RdsOrderableOption, ...]: ...

    def rds_engine_version(self, engine: str, version: str) -> RdsEngineVersion | None: ...

    def opensearch_instance_types(self, engine_version: str) -> frozenset[str]: ...

    def opensearch_instance_limits(self, engine_version: str, instance_type: str) -> OpenSearchInstanceLimits: ...

    def secrets(self, secret_ids: tuple[str, ...]) -> Mapping[str, SecretFacts | None]:
        """The secret each id (a name, a full ARN or a partial ARN without the random suffix) names,
        secrets scheduled for deletion included; None for an id no secret answers to."""

    def ssm_parameters(self, names: tuple[str, ...]) -> frozenset[str]:
        """Which of these SSM parameter names exist (their metadata only; values are never read)."""

    def simulate_principal_policy(self, principal_arn: str, actions: tuple[str, ...], resource_arns: tuple[str, ...],
                                  context: tuple[tuple[str, str], ...] = ()) -> tuple[PermissionDecision, ...]:
        """IAM's policy simulator for an IAM role or user: every action on every resource (context: key, value)."""

    def iam_principals(self, kind: str) -> Mapping[str, str]:
        """The account's IAM roles ("role") or users ("user"): name -> ARN."""

    def registry_type_schema(self, type_name: str) -> str | None:
        """A resource type's registry schema (JSON text, cloudformation:DescribeType); None for an unknown type."""

    def cloudformation_exports(self) -> Mapping[str, str]:
        """Every export of the region: name -> the id of the stack that exports it."""

    def export_importers(self, export_name: str) -> tuple[str, ...]:
        """The stacks that import an export (empty when none does)."""

    def apigateway_cloudwatch_role(self) -> str | None:
        """The CloudWatch Logs role API Gateway uses in this account and region; None when unset."""

    def lambda_concurrency(self) -> LambdaConcurrency: ...

    def cloudfront_aliases(self) -> Mapping[str, str]:
        """Every alternate domain name of the account's CloudFront distributions (lower case) -> distribution id."""

    def prefetch(self, questions: tuple[tuple[Any, ...], ...]) -> None:
        """A hint: answer these (method name, *args) questions concurrently now; errors surface when asked."""


FACT_QUESTIONS = (
    "identity", "availability_zones", "subnets", "quota", "usage", "deployed_stack", "bootstrap_version",
    "role_exists", "existing_names", "rds_orderable", "rds_engine_version", "opensearch_instance_types",
    "opensearch_instance_limits", "secrets", "ssm_parameters", "deployed_template",
    "simulate_principal_policy", "iam_principals", "registry_type_schema", "cloudformation_exports",
    "export_importers", "apigateway_cloudwatch_role", "lambda_concurrency", "cloudfront_aliases",
)


class OfflineFacts:
    """No account at all: every question is answered 'not looked up'."""

    def __init__(self, reason: str = "offline run (--offline): account not consulted", skipped: bool = True):
        self._reason = reason
        self._skipped = skipped

    def _unavailable(self, *args: Any, **kwargs: Any):
        raise FactUnavailable(self._reason, skipped=self._skipped)

    def prefetch(self, questions: tuple[tuple[Any, ...], ...]) -> None:
        return None

    identity = availability_zones = subnets = quota = usage = deployed_stack = _unavailable
    bootstrap_version = role_exists = existing_names = rds_orderable = rds_engine_version = _unavailable
    opensearch_instance_types = opensearch_instance_limits = deployed_template = _unavailable
    secrets = ssm_parameters = _unavailable
    simulate_principal_policy = iam_principals = registry_type_schema = cloudformation_exports = _unavailable
    export_importers = apigateway_cloudwatch_role = lambda_concurrency = cloudfront_aliases = _unavailable
