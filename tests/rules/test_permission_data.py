"""The data the permission rules read: AWS managed policy documents and registry handler permissions."""

from __future__ import annotations

import json

import pytest

from cdkcheck.template.handler_permissions import primary_actions, schema_permissions
from cdkcheck.template.iam_policies import _aws_managed


def test_aws_managed_policy_documents_match_the_published_ones():
    """Each carried document equals the copy of AWS's managed policies that moto ships (a second source)."""
    moto_policies = pytest.importorskip("moto.iam.aws_managed_policies")
    published = json.loads(moto_policies.aws_managed_policies_data)
    for name, entry in _aws_managed().items():
        base = name.rsplit("/", 1)[-1]
        assert base in published, name
        assert entry["document"] == published[base]["Document"], f"{name} differs from the published document"
        assert entry["source"].endswith(f"/{base}.html")


@pytest.mark.parametrize("type_name, handler, expected", [
    ("AWS::RDS::DBInstance", "create", "rds:CreateDBInstance"),
    ("AWS::ECS::TaskDefinition", "create", "ecs:RegisterTaskDefinition"),
    ("AWS::Lambda::Permission", "create", "lambda:AddPermission"),
    ("AWS::EC2::SecurityGroupIngress", "create", "ec2:AuthorizeSecurityGroupIngress"),
    ("AWS::EC2::Instance", "create", "ec2:RunInstances"),
    ("AWS::S3::Bucket", "delete", "s3:DeleteBucket"),
    ("AWS::RDS::DBInstance", "update", "rds:ModifyDBInstance"),
])
def test_primary_actions_come_from_the_registry_schema(type_name, handler, expected):
    permissions = schema_permissions(type_name, handler)
    assert permissions is not None and expected in permissions.actions
    assert expected in permissions.primary
    # conditional actions of the same handler are not primary
    assert "rds:RestoreDBInstanceFromDBSnapshot" not in permissions.primary


def test_types_cloudformation_runs_itself_need_nothing():
    assert schema_permissions("AWS::CDK::Metadata", "create") is None
    assert primary_actions("AWS::SQS::Queue", "create", ("sqs:CreateQueue", "sqs:TagQueue")) == ("sqs:CreateQueue",)
