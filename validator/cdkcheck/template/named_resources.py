"""Which resource types a template names, and which of those names cdkcheck can look up.

A type is *named* when its registry schema (as cfn-lint ships it) makes the name
the resource's identity: a single-property primary identifier the template may
set and cannot change without replacement (`TypeSchema.named_by()`). Creating
such a resource under a name the account already holds fails. The set is derived
from the schemas; only the lookups (which read-only listing answers a type's
names) are written here, in NAME_LOOKUPS. A named type without a lookup is
reported as not checked, never passed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping

from cdkcheck.template.resource_schemas import all_type_names, type_schema

# Types whose primary identifier is an id CloudFormation generates, but whose create-only name
# property must still be unique in the account and region, as the service refuses a second one.
NAMED_BEYOND_IDENTIFIER: Mapping[str, str] = {
    # primaryIdentifier is the secret's ARN (/properties/Id); Name is create-only and unique per region,
    # including secrets scheduled for deletion ("a secret with this name is already scheduled for deletion").
    "AWS::SecretsManager::Secret": "Name",
    # primaryIdentifier is the read-only Id; DomainName is create-only and unique per account and region.
    "AWS::Elasticsearch::Domain": "DomainName",
}

# type -> kind of name in AccountFacts.existing_names (facts.NAMED_KINDS); the live layer knows each
# kind's read-only listing. Types sharing one namespace share a kind.
NAME_LOOKUPS: Mapping[str, str] = {
    "AWS::RDS::DBInstance": "rds-instance",
    "AWS::RDS::DBCluster": "rds-cluster",
    "AWS::RDS::DBSubnetGroup": "rds-subnet-group",
    "AWS::OpenSearchService::Domain": "opensearch-domain",
    "AWS::Elasticsearch::Domain": "opensearch-domain",
    "AWS::ElastiCache::ReplicationGroup": "elasticache-replication-group",
    "AWS::ElastiCache::CacheCluster": "elasticache-cluster",
    "AWS::ElastiCache::SubnetGroup": "elasticache-subnet-group",
    "AWS::Logs::LogGroup": "log-group",
    "AWS::S3::Bucket": "s3-bucket",
    "AWS::IAM::Role": "iam-role",
    "AWS::SecretsManager::Secret": "secretsmanager-secret",
    "AWS::SSM::Parameter": "ssm-parameter",
    "AWS::CloudWatch::Dashboard": "cloudwatch-dashboard",
    # Metric and composite alarms share one name space (DescribeAlarms answers both).
    "AWS::CloudWatch::Alarm": "cloudwatch-alarm",
    "AWS::CloudWatch::CompositeAlarm": "cloudwatch-alarm",
    # A global table's name is a table name of the region it is created in.
    "AWS::DynamoDB::Table": "dynamodb-table",
    "AWS::DynamoDB::GlobalTable": "dynamodb-table",
    "AWS::Lambda::Function": "lambda-function",
    "AWS::ECR::Repository": "ecr-repository",
}


def name_property(type_name: str) -> str | None:
    """The property that names a resource of this type (its identity), or None when it has none."""
    if type_name in NAMED_BEYOND_IDENTIFIER:
        return NAMED_BEYOND_IDENTIFIER[type_name]
    schema = type_schema(type_name)
    return schema.named_by() if schema is not None else None


@lru_cache(maxsize=1)
def named_types() -> Mapping[str, str]:
    """Every named type the registry schemas know -> its name property (slow: reads every schema)."""
    found = {t: p for t in all_type_names() if (p := name_property(t))}
    return dict(sorted(found.items()))


def unchecked_types() -> tuple[str, ...]:
    """Named types cdkcheck has no read-only lookup for: their names are reported as not checked."""
    return tuple(t for t in named_types() if t not in NAME_LOOKUPS)
