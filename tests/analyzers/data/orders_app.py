"""Synthesizes tests/analyzers/data/orders_assembly: a stage with deliberate template problems.

Regenerate (from the repository root, with the venv's python and the bundled Node on PATH):
  CDK_OUTDIR=/tmp/orders CDK_CONTEXT_JSON='{"aws:cdk:enable-path-metadata":true,
    "aws:cdk:enable-asset-metadata":true,"aws:cdk:version-reporting":false,
    "@aws-cdk/core:annotationsInValidationReport":true}' python app.py
then copy both manifest.json files (minus the bulky cdk:feature-flag-report artifact), the
templates, *.metadata.json and validation-report.json, all verbatim otherwise.
"""
import aws_cdk as cdk
from aws_cdk import aws_rds as rds, aws_sqs as sqs


class Archive(cdk.NestedStack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        # Below the 60-second minimum CloudFormation accepts.
        sqs.CfnQueue(self, "ArchiveQueue", message_retention_period=10)


class Orders(cdk.Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        # Above the 12-hour maximum CloudFormation accepts.
        queue = sqs.CfnQueue(self, "Queue", visibility_timeout=999999)
        # Deprecated engine version, unencrypted storage, hard-coded password.
        database = rds.CfnDBInstance(
            self, "Database", engine="postgres", engine_version="9.6.1", db_instance_class="db.t3.micro",
            allocated_storage="20", master_username="orders", master_user_password="not-a-secret")
        database.add_metadata("checkov", {"skip": [
            {"id": "CKV_AWS_17", "comment": "the subnet group is private"}]})
        cdk.Annotations.of(queue).add_warning_v2("orders:queue-tuning", "Queue tuning has not been reviewed")
        cdk.Validations.of(self).add_warning("ReviewPending", "Capacity review is pending")
        cdk.Validations.of(database).acknowledge(cdk.Acknowledgment(
            id="CloudFormation-Validate::W2501", reason="test database, password rotated at first boot"))
        Archive(self, "Archive")


app = cdk.App()
prod = cdk.Stage(app, "Prod", env=cdk.Environment(account="123456789012", region="eu-west-1"))
Orders(prod, "Orders")
app.synth()
